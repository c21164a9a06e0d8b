"""App sign-ups are customers of the lake: their events pass silver instead of being quarantined,
so a day where app shoppers make 5% of the events passes the 1% quarantine gate."""

from __future__ import annotations

import datetime as dt
import shutil

import dagster as dg
import pyarrow.parquet as pq
import pytest

from hashira_assets.definitions import build_definitions
from hashira_assets.raw.app_customers import APP_CUSTOMERS_FILE, land_app_customers
from hashira_assets.raw.world_config import make_config
from jobs.sensors import new_app_events
from resources.app_database import APP_CUSTOMER_ID_BASE
from tests.spark_layer import read_lake_table
from tests.support.homes import lakehouse_copy

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_an_app_signups_events_reach_silver_on_a_day_they_are_5_percent_of(
    lakehouse, tmp_path, monkeypatch
):
    home = lakehouse_copy(lakehouse.home, tmp_path / "home", monkeypatch)
    defs = build_definitions("local", preset="tiny")
    app_db = defs.resources["app_database"]
    account = app_db.create_account(
        "kanao", "not-a-real-hash", "shopper", profile={"breathing_style": "Flower", "level": 14}
    )
    assert account.customer_id >= APP_CUSTOMER_ID_BASE

    # The world's last day: app events are 5% of that day's events (5x the gate's threshold).
    day = make_config("tiny").end_date
    silver = read_lake_table(home, "silver", "interaction_events")
    generated = int((silver["event_date"].astype(str) == day.isoformat()).sum())
    n_app = max(2, round(generated * 0.05 / 0.95))
    products = read_lake_table(home, "silver", "products")
    in_stock = products[products["stock"] > 0].reset_index(drop=True)
    # Distinct sessions, products and minutes: silver removes near-duplicate events.
    ids = app_db.log_events(
        {"session_id": 9_100_000_000 + i, "customer_id": account.customer_id,
         "product_id": int(in_stock.product_id[i % len(in_stock)]), "event_type": "view",
         "event_ts": dt.datetime.combine(day, dt.time(8, 0)) + dt.timedelta(minutes=7 * i),
         "price": float(in_stock.price[i % len(in_stock)]), "quantity": 1}
        for i in range(n_app)
    )  # fmt: skip

    with dg.instance_for_test() as instance:
        tick = new_app_events(dg.build_sensor_context(instance=instance, resources=defs.resources))
        (request,) = tick.run_requests
        ingest = defs.resolve_job_def("daily_ingest").execute_in_process(
            instance=instance, tags=request.tags, raise_on_error=False
        )
    assert ingest.success
    gate = next(
        c for c in ingest.get_asset_check_evaluations()
        if c.check_name == "quarantine_within_threshold"
    )  # fmt: skip
    assert gate.passed, gate.metadata
    landed = read_lake_table(home, "silver", "interaction_events")
    mine = landed[landed["event_id"].isin(ids)]
    assert len(mine) == n_app and set(mine["customer_id"]) == {account.customer_id}
    share = n_app / int((landed["event_date"].astype(str) == day.isoformat()).sum())
    assert share == pytest.approx(0.05, abs=0.01)
    quarantined = read_lake_table(home, "silver", "quarantined_interaction_events")
    assert not quarantined["event_id"].isin(ids).any() if len(quarantined) else True
    # The shopper is a silver customer with their onboarding answers.
    customers = read_lake_table(home, "silver", "customers")
    (row,) = customers[customers["customer_id"] == account.customer_id].to_dict("records")
    assert row["breathing_style"] == "Flower" and row["level"] == 14
    assert row["slayer_rank"] and row["strength"] == 0.5


def test_the_app_customers_file_is_rewritten_only_when_shoppers_change(
    tiny_world, tmp_path, monkeypatch
):
    raw = tmp_path / "raw"
    shutil.copytree(tiny_world.out_dir / "customers", raw / "customers")
    monkeypatch.setenv("HASHIRA_HOME", str(tmp_path))
    monkeypatch.delenv("HASHIRA_APP_DB_URL", raising=False)
    app_db = build_definitions("local", preset="tiny").resources["app_database"]
    assert land_app_customers(app_db, raw) == (0, False)
    assert not (raw / "customers" / APP_CUSTOMERS_FILE).exists()
    app_db.create_account("inosuke", "h", "shopper")  # no onboarding answers yet
    assert land_app_customers(app_db, raw) == (1, True)
    assert land_app_customers(app_db, raw) == (1, False)
    table = pq.read_table(raw / "customers" / APP_CUSTOMERS_FILE)
    generated = pq.read_schema(next(p for p in (raw / "customers").glob("part*.parquet")))
    assert table.schema.equals(generated.remove_metadata())
    assert table["breathing_style"].to_pylist() == [None]
    app_db.create_account("zenitsu", "h", "shopper", profile={"breathing_style": "Thunder"})
    assert land_app_customers(app_db, raw) == (2, True)
