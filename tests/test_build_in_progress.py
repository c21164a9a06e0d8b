"""While a run builds the graph (`make demo`), the app's pages and the API's readiness say what
is being built and how far the run is, instead of only "not materialized"."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
from streamlit.testing.v1 import AppTest

from hashira_assets.definitions import build_definitions
from hashira_assets.raw.world_resource import SyntheticWorldResource
from hashira_serving import accounts as auth
from hashira_serving import readiness
from jobs.launch import LaunchRequest
from jobs.sensors import catalog_changed
from resources.app_database import AppDatabaseResource

pytestmark = pytest.mark.slow

PAGES = Path(__file__).resolve().parents[1] / "hashira_ui" / "app_pages"


def _full_refresh_job():
    return build_definitions("local", preset="tiny").resolve_job_def("full_refresh")


# One step per op of the job (assets of one multi-asset share a step; separate checks add one).
FULL_REFRESH_STEPS = len(_full_refresh_job().graph.nodes)


@pytest.fixture
def building(hashira_home, tmp_path, monkeypatch) -> str:
    """An empty HASHIRA_HOME and a Dagster instance where a `full_refresh` run has started."""
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    job = _full_refresh_job()
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
    assert f"Run `full_refresh`: 0 of {FULL_REFRESH_STEPS} steps done" in bar.proto.text


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
        assert f"0 of {FULL_REFRESH_STEPS} steps done" in checks[name]


def test_the_catalog_sensor_waits_for_a_run_that_builds_the_index(tiny_world, tmp_path):
    """A full refresh builds the product index itself: the sensor requests no second index
    while that run is unfinished, and keeps its cursor for a change made meanwhile."""
    raw = tmp_path / "raw"
    for table in ("products", "product_faqs"):
        shutil.copytree(tiny_world.out_dir / table, raw / table)
    resources = {"world": SyntheticWorldResource(raw_dir=str(raw))}
    job = build_definitions("local", preset="tiny").resolve_job_def("full_refresh")
    with dg.instance_for_test() as instance:
        run = instance.create_run_for_job(
            job,
            status=dg.DagsterRunStatus.STARTED,
            tags=LaunchRequest("full_refresh", "tiny").tags(),
        )
        waiting = catalog_changed(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(waiting, dg.SkipReason)
        assert waiting.skip_message == f"run {run.run_id} is building the product index"
        instance.report_run_failed(run)
        after = catalog_changed(dg.build_sensor_context(instance=instance, resources=resources))
        assert len(after.run_requests) == 1
