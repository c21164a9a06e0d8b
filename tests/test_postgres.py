"""Dagster, MLflow and the app database on the real PostgreSQL server on loopback (trust auth,
user postgres), each test in databases of its own, created and dropped by the test."""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import psycopg
import pytest
import yaml
from psycopg import sql
from typer.testing import CliRunner

from hashira_assets.lakehouse import dagster_storage, dagster_yaml
from hashira_cli.main import app
from resources.app_database import AppDatabaseResource, event_row
from resources.app_tables import APP_EVENT_ID_BASE, EVENTS_LOCK, app_events, commit_in_id_order
from resources.event_bus import TableEventBus
from resources.mlflow_tracking import MlflowTrackingResource

pytestmark = pytest.mark.integration

SERVER = os.environ.get("HASHIRA_TEST_PG_SERVER", "postgres@127.0.0.1:5432")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def new_database() -> Iterator[Callable[[str], str]]:
    """Creates empty databases on the server (URL without a driver) and drops them afterwards."""
    created: list[str] = []

    def create(purpose: str) -> str:
        name = f"hashira_test_{purpose}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"postgresql://{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return f"postgresql://{SERVER}/{name}"

    yield create
    with psycopg.connect(f"postgresql://{SERVER}/postgres", autocommit=True) as conn:
        for name in created:
            # FORCE: a pooled connection a library kept open must not keep the database alive.
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))  # fmt: skip


def table_count(url: str, query: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchone()[0]


def test_storage_follows_the_environment():
    assert dagster_storage({}) is None
    assert dagster_storage({"DAGSTER_PG_URL": "postgresql+psycopg2://x"}) == {
        "postgres": {"postgres_url": {"env": "DAGSTER_PG_URL"}}
    }
    with pytest.raises(ValueError, match="must start with postgresql"):
        dagster_storage({"DAGSTER_PG_URL": "postgresql://x"})
    # The production instance file is what the same function writes for DAGSTER_POSTGRES_*.
    production = yaml.safe_load((REPO / "dagster.production.yaml").read_text())
    assert production["storage"] == dagster_storage({"DAGSTER_POSTGRES_HOST": "postgres"})
    local = yaml.safe_load(dagster_yaml({}))
    assert local == yaml.safe_load((REPO / "dagster.yaml").read_text())
    assert local["storage"]["custom"]["class"] == "PooledSqliteStorage"


def test_the_command_writes_the_storage_the_environment_asks_for(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_POSTGRES_HOST", raising=False)
    monkeypatch.setenv("DAGSTER_PG_URL", "postgresql://postgres@127.0.0.1:5432/dagster")
    refused = CliRunner().invoke(app, ["dagster-yaml", "--home", str(tmp_path)])
    assert refused.exit_code == 2 and "psycopg2" in refused.output
    assert not (tmp_path / "dagster.yaml").exists()
    monkeypatch.setenv("DAGSTER_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/dagster")
    out = CliRunner().invoke(app, ["dagster-yaml", "--home", str(tmp_path)])
    assert out.exit_code == 0 and out.stdout.endswith("PostgreSQL storage\n")
    monkeypatch.delenv("DAGSTER_PG_URL")
    out = CliRunner().invoke(app, ["dagster-yaml", "--home", str(tmp_path)])
    assert out.exit_code == 0 and out.stdout.endswith("SQLite storage\n")
    written = yaml.safe_load((tmp_path / "dagster.yaml").read_text())
    assert written["storage"]["custom"]["module"] == "resources.dagster_sqlite"


@pytest.mark.slow
def test_a_materialization_is_stored_in_postgres(new_database, tmp_path, monkeypatch):
    url = new_database("dagster")
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("HASHIRA_HOME", str(tmp_path / "hashira"))
    monkeypatch.delenv("HASHIRA_LAKE_ROOT", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_URL", url.replace("postgresql", "postgresql+psycopg2"))
    # No dagster.yaml yet: the command writes one for PostgreSQL because DAGSTER_PG_URL is set.
    selection = "key:products or key:lake_raw_products"
    out = CliRunner().invoke(app, ["materialize", "--preset", "tiny", "--select", selection])
    assert out.exit_code == 0, out.output
    written = yaml.safe_load((home / "dagster.yaml").read_text())
    assert written["storage"] == {"postgres": {"postgres_url": {"env": "DAGSTER_PG_URL"}}}
    assert SERVER not in (home / "dagster.yaml").read_text()  # only the variable's name is written

    with dg.DagsterInstance.from_config(str(home)) as instance:
        storages = (instance.run_storage, instance.event_log_storage, instance.schedule_storage)
        assert [type(s).__name__ for s in storages] == [
            "PostgresRunStorage", "PostgresEventLogStorage", "PostgresScheduleStorage"]  # fmt: skip
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        latest = instance.get_latest_materialization_event(dg.AssetKey("lake_raw_products"))
        assert latest is not None and latest.run_id == run.run_id
    # The rows really are in the server's tables.
    assert table_count(url, "SELECT count(*) FROM runs") == 1
    materializations = table_count(
        url, "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'"
    )
    assert materializations >= 2  # the world's tables and the landed products
    assert table_count(url, "SELECT count(*) FROM instigators") == 0  # schedule storage is ready


@pytest.mark.slow
def test_mlflow_and_the_app_database_use_the_same_server(new_database, tmp_path):
    # Separate databases: MLflow and Dagster both have a `runs` table.
    tracking = MlflowTrackingResource(
        tracking_uri=new_database("mlflow"), artifact_root=(tmp_path / "artifacts").as_uri()
    )
    run_id = tracking.start_run("postgres-check", run_name="check", params={"alpha": 1})
    tracking.log_metrics(run_id, {"map12": 0.25})
    tracking.end_run(run_id)
    assert tracking.client().get_run(run_id).data.metrics == {"map12": 0.25}

    app_url = new_database("app").replace("postgresql", "postgresql+psycopg")
    app_db = AppDatabaseResource(url=app_url)
    conversation = app_db.add_support_conversation(3, [("customer", "Where is my order?")])
    assert app_db.support_conversations_after(0)["conversation_id"].tolist() == [conversation]
    failed_at = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)
    assert app_db.record_pipeline_failure(
        run_id="r1", job_name="retrain", failed_at=failed_at, message="gate refused"
    )
    assert not app_db.record_pipeline_failure(
        run_id="r1", job_name="retrain", failed_at=failed_at, message="gate refused")  # fmt: skip
    (row,) = app_db.pipeline_failures().to_dict("records")
    assert row["job_name"] == "retrain" and row["failed_at"] == failed_at
    app_db.engine().dispose()


EVENT = {"session_id": 1, "customer_id": 7, "product_id": 3, "event_type": "view",
         "event_ts": dt.datetime(2026, 11, 2, 10, 0), "price": 10.0, "quantity": 1}  # fmt: skip


def test_a_late_commit_never_falls_below_the_watermark(new_database):
    """A writer that took a lower id and commits late holds back the writers after it, so every
    read by id (the landing watermark, the table bus) sees a gap-free prefix of the ids."""
    app_db = AppDatabaseResource(
        url=new_database("order").replace("postgresql", "postgresql+psycopg")
    )
    app_db.log_events([EVENT])  # creates the tables; id 1
    slow = app_db.engine().connect()
    slow_tx = slow.begin()
    commit_in_id_order(slow, EVENTS_LOCK)
    slow_id = slow.execute(
        app_events.insert().returning(app_events.c.id), [event_row(EVENT)]
    ).scalar_one()
    later: list[int] = []
    writer = threading.Thread(target=lambda: later.extend(app_db.log_events([EVENT, EVENT])))
    writer.start()
    writer.join(timeout=1.0)
    # The later writer waits for the slow one's commit: nothing past its id is visible yet.
    assert writer.is_alive()
    seen = app_db.events_after(0)["event_id"].tolist()
    assert seen == [APP_EVENT_ID_BASE + 1]
    slow_tx.commit()
    slow.close()
    writer.join(timeout=10)
    assert not writer.is_alive()
    ids = app_db.events_after(0)["event_id"].tolist()
    assert ids == sorted(ids) and len(ids) == 4
    assert min(later) > APP_EVENT_ID_BASE + slow_id  # taken after the slow writer committed
    bus = TableEventBus(app_db_url=app_db.resolved_url())
    bus.ensure_group("order-check")
    assert [e.event_id for e in bus.read("order-check", "c1", 10, 0)] == ids
    app_db.engine().dispose()
