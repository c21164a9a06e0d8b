"""While a run builds the graph (`make demo`), the app's pages and the API's readiness say what
is being built and how far the run is, instead of only "not materialized"."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from streamlit.testing.v1 import AppTest

from hashira_assets.definitions import build_definitions
from hashira_serving import accounts as auth
from hashira_serving import readiness
from jobs.launch import LaunchRequest
from resources.app_database import AppDatabaseResource

pytestmark = pytest.mark.slow

PAGES = Path(__file__).resolve().parents[1] / "hashira_ui" / "app_pages"


@pytest.fixture
def building(hashira_home, tmp_path, monkeypatch) -> str:
    """An empty HASHIRA_HOME and a Dagster instance where a `full_refresh` run has started."""
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    job = build_definitions("local", preset="tiny").resolve_job_def("full_refresh")
    with dg.DagsterInstance.get() as instance:
        run = instance.create_run_for_job(
            job,
            status=dg.DagsterRunStatus.STARTED,
            tags=LaunchRequest("full_refresh", "tiny").tags(),
        )
    return run.run_id


def test_a_page_waiting_for_an_asset_says_it_is_being_built(building):
    db = AppDatabaseResource()
    shopper = db.create_account("zenitsu", auth.hash_password("thunder-first"), "shopper")
    app = AppTest.from_file(str(PAGES / "shop.py"), default_timeout=60)
    app.session_state["account"] = shopper
    app.run()
    assert not app.exception, app.exception
    assert app.info[0].value.startswith("**Being built now.**")
    assert "`silver_products`" in app.info[0].value
    (bar,) = app.get("progress")
    assert "Run `full_refresh`: 0 of 31 steps done" in bar.proto.text


def test_a_page_says_not_materialized_when_no_run_builds_it(hashira_home, tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    staff = AppDatabaseResource().create_account(
        "kagaya", auth.hash_password("ubuyashiki"), "staff"
    )
    app = AppTest.from_file(str(PAGES / "forecasts.py"), default_timeout=60)
    app.session_state["account"] = staff
    app.run()
    assert not app.exception, app.exception
    assert app.info[0].value.startswith("**Not materialized yet.**")
    assert not app.get("progress")


def test_readiness_names_the_run_building_what_is_missing(building):
    checks = readiness.checks()
    for name, asset in (("recommender", "recommender_model"), ("product_index", "product_index")):
        assert checks[name].startswith(f"being built now: `{asset}` is planned in run {building}")
        assert "0 of 31 steps done" in checks[name]
