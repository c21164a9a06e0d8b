"""Sensors of the asset graph, without Spark: the landing of app events and conversations, each
sensor through `build_sensor_context`, and the failure record (jobs, schedules and automation:
tests/test_automation.py)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from dagster._core.test_utils import create_run_for_test

from hashira_assets.assistant.faithfulness import unsupported_facts
from hashira_assets.assistant.summaries import (
    load_conversations,
    read_summaries,
    summaries_path,
)
from hashira_assets.assistant.support_labels import NEEDS_REVIEW
from hashira_assets.definitions import build_definitions
from hashira_assets.raw.simulator import EVENT_SCHEMA
from hashira_assets.raw.support_chats import CATEGORIES, SUPPORT_SCHEMA
from hashira_assets.raw.world_resource import SyntheticWorldResource
from jobs.landing import (
    EventThresholds,
    land_app_conversations,
    land_app_events,
    landed_conversation_watermark,
    landing_reason,
)
from jobs.sensors import (
    catalog_changed,
    new_app_events,
    new_support_conversations,
    record_pipeline_failures,
    retrain_after_ingest,
)
from jobs.triggers import day_ranges, ingestible_days
from resources.app_database import (
    APP_CONVERSATION_ID_BASE,
    APP_EVENT_ID_BASE,
    AppDatabaseResource,
)
from resources.lake import LakeResource

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


@pytest.fixture
def app_db(tmp_path: Path) -> AppDatabaseResource:
    return AppDatabaseResource(url=f"sqlite:///{tmp_path / 'app.db'}")


@pytest.fixture
def lake(tmp_path: Path) -> LakeResource:
    return LakeResource(root=str(tmp_path / "lake"))


def event(customer: int, product: int, kind: str, ts: str, price: float | None = 10.0) -> dict:
    return {"session_id": 7, "customer_id": customer, "product_id": product, "event_type": kind,
            "event_ts": ts, "price": price, "quantity": 1}  # fmt: skip


def lake_events(lake: LakeResource) -> pa.Table:
    """Every app event file in the lake's raw zone, read as Spark reads the folder."""
    root = Path(lake.root) / "raw" / "interaction_events"
    files = sorted(str(p) for p in root.rglob("app-*.parquet"))
    return ds.dataset(files, format="parquet", partitioning=None).to_table()


# Landing app events ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "oldest_minutes", "expected"),
    [(0, None, ""), (2, 5, ""), (3, 5, "3 new events"), (1, 61, "oldest waiting 61 min")],
)
def test_events_land_on_count_or_age(count, oldest_minutes, expected):
    import pandas as pd

    times = [NOW - dt.timedelta(minutes=oldest_minutes or 0)] * count
    frame = pd.DataFrame({"event_ts": [t.replace(tzinfo=None).isoformat() for t in times]})
    reason = landing_reason(
        frame, NOW, EventThresholds(min_events=3, max_age=dt.timedelta(hours=1))
    )
    assert (reason == "") if not expected else (expected in reason)


def test_thresholds_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("HASHIRA_EVENTS_MIN_COUNT", "5")
    monkeypatch.setenv("HASHIRA_EVENTS_MAX_AGE_MINUTES", "1.5")
    monkeypatch.setenv("HASHIRA_EVENTS_MAX_BATCH", "")  # set but empty: the default
    assert EventThresholds.from_env() == EventThresholds(
        min_events=5, max_age=dt.timedelta(seconds=90), max_batch=50_000
    )


def test_an_unreadable_timestamp_lands_rather_than_waits():
    import pandas as pd

    frame = pd.DataFrame({"event_ts": ["yesterday-ish"]})
    assert "unknown" in landing_reason(frame, NOW, EventThresholds(min_events=100))


def test_day_ranges_and_partition_bounds():
    d = dt.date.fromisoformat
    days = [d("2026-11-03"), d("2026-11-01"), d("2026-11-02"), d("2026-11-05")]
    assert day_ranges(days) == [(d("2026-11-01"), d("2026-11-03")), (d("2026-11-05"),) * 2]
    inside, outside = ingestible_days([d("2023-01-01"), d("2026-11-21"), d("2026-11-22")], NOW)
    assert inside == [d("2026-11-21")]
    assert outside == [d("2023-01-01"), d("2026-11-22")]


def test_landing_writes_one_typed_file_per_day(app_db, lake):
    ids = app_db.log_events(
        [event(3, 5, "view", "2026-11-01T10:00:00.000"),
         event(3, 5, "purchase", "2026-11-01T10:05:00.000"),
         event(4, 6, "view", "2026-11-02T09:00:00.000", price=None)]
    )  # fmt: skip
    landing = land_app_events(app_db, lake, 0, NOW, EventThresholds(min_events=1))
    assert (landing.first_id, landing.last_id, landing.rows) == (ids[0], ids[-1], 3)
    assert landing.keys == (
        f"raw/interaction_events/event_date=2026-11-01/app-{ids[0]}-{ids[1]}.parquet",
        f"raw/interaction_events/event_date=2026-11-02/app-{ids[2]}-{ids[2]}.parquet",
    )
    first_day = pq.read_table(Path(lake.root) / landing.keys[0])
    assert first_day.schema.equals(EVENT_SCHEMA)
    assert first_day["event_id"].to_pylist() == ids[:2]
    # A view without a price stays without one: silver quarantines it, nothing is invented here.
    assert pq.read_table(Path(lake.root) / landing.keys[1])["price"].to_pylist() == [None]
    assert ids[0] == APP_EVENT_ID_BASE + 1
    assert land_app_events(app_db, lake, landing.last_id, NOW, EventThresholds(1)) is None


def test_a_landing_that_stopped_midway_is_redone_without_duplicates(app_db, lake, monkeypatch):
    app_db.log_events([event(3, 5, "view", f"2026-11-0{d}T10:00:00.000") for d in (1, 2, 3)])
    writes = []
    original = LakeResource.write_bytes

    def crash_on_second_file(self, key, data):
        if len(writes) == 1:
            raise OSError("disk gone")
        writes.append(key)
        original(self, key, data)

    monkeypatch.setattr(LakeResource, "write_bytes", crash_on_second_file)
    with pytest.raises(OSError):
        land_app_events(app_db, lake, 0, NOW, EventThresholds(min_events=1))
    monkeypatch.setattr(LakeResource, "write_bytes", original)
    assert lake_events(lake).num_rows == 1  # the first day was written, the watermark not moved
    # More events arrive before the retry; the retry starts from the same (unmoved) watermark.
    app_db.log_events([event(3, 6, "view", "2026-11-01T11:00:00.000")])
    landing = land_app_events(app_db, lake, 0, NOW, EventThresholds(min_events=1))
    landed = lake_events(lake)["event_id"].to_pylist()
    assert sorted(landed) == [APP_EVENT_ID_BASE + i for i in (1, 2, 3, 4)]
    assert landing.rows == 4 and len(landing.keys) == 3


def test_new_events_sensor_lands_then_requests_daily_ingest(app_db, lake, monkeypatch):
    monkeypatch.setenv("HASHIRA_EVENTS_MIN_COUNT", "3")
    monkeypatch.setenv("HASHIRA_EVENTS_MAX_AGE_MINUTES", "60")
    resources = {"app_database": app_db, "lake": lake}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    app_db.log_events([event(3, 5, "view", now.isoformat(timespec="milliseconds"))] * 2)
    skipped = new_app_events(dg.build_sensor_context(resources=resources))
    assert isinstance(skipped, dg.SkipReason)
    assert not (Path(lake.root) / "raw").exists()

    # Two days at once: yesterday (backdated, so already old) and today.
    yesterday = now - dt.timedelta(days=1)
    app_db.log_events([event(4, 6, "cart", yesterday.isoformat(timespec="milliseconds"))])
    result = new_app_events(dg.build_sensor_context(resources=resources))
    assert result.cursor == str(APP_EVENT_ID_BASE + 3)
    (request,) = result.run_requests
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (
        yesterday.date().isoformat(), now.date().isoformat())  # fmt: skip
    assert lake_events(lake).num_rows == 3

    again = new_app_events(dg.build_sensor_context(cursor=result.cursor, resources=resources))
    assert isinstance(again, dg.SkipReason)
    app_db.log_events([event(4, 7, "view", now.isoformat(timespec="milliseconds"))] * 3)
    third = new_app_events(dg.build_sensor_context(cursor=result.cursor, resources=resources))
    assert third.cursor == str(APP_EVENT_ID_BASE + 6)
    assert third.run_requests[0].tags[RANGE_START] == now.date().isoformat()
    assert lake_events(lake).num_rows == 6


# Support conversations ------------------------------------------------------------------------


def conversation_text(turns, product: str) -> str:
    return "\n".join(f"{s.title()}: {t.format(product=product)}" for s, t in turns)


TURNS = [
    ("customer", "The {product} I received (order HM-123456) has a chip in the edge."),
    ("agent", "I am sorry to hear that. Could you send a photo of the damage?"),
    ("customer", "Sent. The chip is right at the tip of the blade."),
    ("agent", "Thank you. We will ship a replacement and collect the damaged item."),
    ("customer", "Thanks, that works for me."),
]


def test_app_conversations_validate_their_turns(app_db):
    with pytest.raises(ValueError, match="Speakers must be one of"):
        app_db.add_support_conversation(1, [("robot", "beep")])
    with pytest.raises(ValueError, match="no turn may be empty"):
        app_db.add_support_conversation(1, [("customer", "  ")])


def test_conversations_sensor_lands_once_and_again_after_a_new_world(app_db, tmp_path):
    raw = tmp_path / "raw"
    world = SyntheticWorldResource(raw_dir=str(raw))
    resources = {"app_database": app_db, "world": world}
    assert isinstance(new_support_conversations(dg.build_sensor_context(resources=resources)),
                      dg.SkipReason)  # fmt: skip
    first = app_db.add_support_conversation(
        2, [(s, t.format(product="Ember Fang")) for s, t in TURNS]
    )
    request = new_support_conversations(dg.build_sensor_context(resources=resources))
    assert request.run_key == f"conversations-{first}-{first}"
    assert first == APP_CONVERSATION_ID_BASE + 1
    table = pq.read_table(raw / "support_conversations" / f"app-{first}-{first}.parquet")
    assert table.schema.equals(SUPPORT_SCHEMA)
    row = table.to_pylist()[0]
    assert row["phrasing_set"] == "app" and row["reference_summary"] is None
    assert row["transcript"].splitlines()[0].startswith("Customer: The Ember Fang I received")
    assert landed_conversation_watermark(raw) == first
    assert isinstance(new_support_conversations(dg.build_sensor_context(resources=resources)),
                      dg.SkipReason)  # fmt: skip
    # A regenerated world replaces the raw folder: the app's conversations are landed again.
    shutil.rmtree(raw)
    landing = land_app_conversations(app_db, raw)
    assert (landing.first_id, landing.last_id) == (first, first)


@pytest.mark.slow
def test_a_conversation_from_the_app_gets_summarized(app_home_copy):
    # The tiny graph's home: a champion summarizer and every generated chat summarized by it.
    raw = app_home_copy / "raw"
    before = read_summaries(summaries_path()).num_rows
    defs = build_definitions("local", preset="tiny")
    product = pq.read_table(raw / "products").to_pylist()[0]
    app_db = defs.resources["app_database"]
    conversation = app_db.add_support_conversation(
        17, [(s, t.format(product=product["name"])) for s, t in TURNS],
        product_id=product["product_id"],
    )  # fmt: skip
    request = new_support_conversations(dg.build_sensor_context(resources=defs.resources))
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("summarize_conversations").execute_in_process(
            instance=instance, run_config=request.run_config, tags=request.tags
        )
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    # Only the landed app conversations are summarized now (other tests may have added some to
    # the app's database before this one), the generated ones are kept.
    landed = len(load_conversations(raw)) - before
    meta = result.asset_materializations_for_node("conversation_summaries")[0].metadata
    assert landed >= 1
    assert (meta["summarized_now"].value, meta["reused"].value) == (landed, before)
    summaries = {r["conversation_id"]: r for r in read_summaries(summaries_path()).to_pylist()}
    assert len(summaries) == before + landed
    mine = summaries[conversation]
    assert mine["issue_category"] in (*CATEGORIES, NEEDS_REVIEW)
    assert mine["agent_id"] is None and mine["summary"].strip()
    # Whatever the tiny model wrote, what is shown states nothing the chat does not support.
    assert not unsupported_facts(mine["summary"], conversation_text(TURNS, product["name"]))


# Catalog changes ------------------------------------------------------------------------------


def test_catalog_sensor_reindexes_only_after_a_change(tiny_world, tmp_path):
    raw = tmp_path / "raw"
    for table in ("products", "product_faqs"):
        shutil.copytree(tiny_world.out_dir / table, raw / table)
    resources = {"world": SyntheticWorldResource(raw_dir=str(raw))}
    with dg.instance_for_test() as instance:
        # Never indexed: the first tick asks for an index.
        first = catalog_changed(dg.build_sensor_context(instance=instance, resources=resources))
        assert len(first.run_requests) == 1
        # Indexed after the files were written, and no cursor yet (a fresh sensor): nothing.
        instance.report_runless_asset_event(dg.AssetMaterialization("product_index"))
        fresh = catalog_changed(dg.build_sensor_context(instance=instance, resources=resources))
        assert not fresh.run_requests and fresh.cursor == first.cursor
        same = catalog_changed(
            dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=resources)
        )
        assert not same.run_requests
        # A product's description changes.
        path = next((raw / "products").rglob("*.parquet"))
        products = pq.read_table(path)
        descriptions = products["description"].to_pylist()
        descriptions[0] += " Now with a lacquered scabbard."
        column = products.schema.get_field_index("description")
        pq.write_table(products.set_column(column, "description", pa.array(descriptions)), path)
        changed = catalog_changed(
            dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=resources)
        )
        assert len(changed.run_requests) == 1 and changed.cursor != first.cursor
        assert changed.run_requests[0].run_key != first.run_requests[0].run_key
        (raw / "products").rename(raw / "gone")
        missing = catalog_changed(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(missing, dg.SkipReason) and "no catalog yet" in missing.skip_message


# Retrain after ingest and failures ------------------------------------------------------------


@dg.op
def succeed() -> None:
    """Stands in for a finished daily_ingest: the sensor reads only the run, not its assets."""


@dg.op
def break_down() -> None:
    raise RuntimeError("the lake is unreachable\nsecond line of the trace")


def run_event(instance, run_id: str, kind: dg.DagsterEventType) -> dg.DagsterEvent:
    (entry,) = instance.all_logs(run_id, of_type=kind)
    return entry.dagster_event


@dg.job(name="daily_ingest")
def finished_ingest():
    succeed()


@dg.job(name="reindex")
def broken_reindex():
    break_down()


def test_retrain_follows_a_successful_ingest_unless_one_waits():
    with dg.instance_for_test() as instance:
        result = finished_ingest.execute_in_process(instance=instance)
        success = run_event(instance, result.run_id, dg.DagsterEventType.RUN_SUCCESS)
        context = dg.build_run_status_sensor_context(
            sensor_name="retrain_after_ingest",
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            dagster_event=success,
        )
        request = retrain_after_ingest(context)
        assert request.run_key == f"retrain-after-{result.run_id}"
        waiting = create_run_for_test(
            instance, job_name="retrain", status=dg.DagsterRunStatus.NOT_STARTED
        )
        skipped = retrain_after_ingest(context)
        assert isinstance(skipped, dg.SkipReason) and waiting.run_id in skipped.skip_message


def test_failed_runs_are_recorded_once_for_the_pipeline_page(app_db):
    with dg.instance_for_test() as instance:
        result = broken_reindex.execute_in_process(
            instance=instance, raise_on_error=False, tags={"dagster/partition": "2026-11-01"}
        )
        failure = run_event(instance, result.run_id, dg.DagsterEventType.RUN_FAILURE)
        context = dg.build_run_status_sensor_context(
            sensor_name="record_pipeline_failures",
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            dagster_event=failure,
            resources={"app_database": app_db},
        ).for_run_failure()
        record_pipeline_failures(context)
        record_pipeline_failures(context)
    rows = app_db.pipeline_failures().to_dict("records")
    assert len(rows) == 1
    row = rows[0]
    assert (row["run_id"], row["job_name"], row["partition"]) == (
        result.run_id, "reindex", "2026-11-01")  # fmt: skip
    assert row["failed_steps"] == "break_down"
    assert "break_down: RuntimeError: the lake is unreachable" in row["message"]
    assert "second line" not in row["message"]


def test_pipeline_failures_list_newest_first(app_db):
    for i, day in enumerate((3, 1, 2)):
        app_db.record_pipeline_failure(
            run_id=f"run-{i}", job_name="retrain", message="x",
            failed_at=dt.datetime(2026, 11, day, tzinfo=dt.UTC),
        )  # fmt: skip
    assert app_db.pipeline_failures()["run_id"].tolist() == ["run-0", "run-2", "run-1"]
    assert app_db.pipeline_failures(limit=1)["run_id"].tolist() == ["run-0"]
