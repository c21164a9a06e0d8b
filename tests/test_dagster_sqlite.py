"""The local instance's SQLite storage with kept-open connections (resources/dagster_sqlite.py)."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg
import yaml

from hashira_assets.lakehouse import dagster_yaml
from resources.dagster_sqlite import PooledSqliteEventLogStorage

DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-21")


@dg.multi_asset(
    specs=[dg.AssetSpec("daily_a"), dg.AssetSpec("daily_b")],
    partitions_def=DAYS,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def daily_tables():
    yield dg.MaterializeResult(asset_key="daily_a", data_version=dg.DataVersion("a1"))
    yield dg.MaterializeResult(asset_key="daily_b", data_version=dg.DataVersion("b1"))


def _home(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(dagster_yaml({}))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def _materialize_all_days(instance) -> dg.ExecuteInProcessResult:
    keys = DAYS.get_partition_keys()
    return dg.materialize(
        [daily_tables],
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": keys[0],
            "dagster/asset_partition_range_end": keys[-1],
        },
    )


def test_the_local_instance_stores_every_partition_event_and_other_processes_read_them(
    tmp_path, monkeypatch
):
    home = _home(tmp_path, monkeypatch)
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        result = _materialize_all_days(instance)
        assert result.success
        assert len(result.get_asset_materialization_events()) == 2 * 20
        materialized = instance.get_materialized_partitions(dg.AssetKey("daily_b"))
        assert materialized == set(DAYS.get_partition_keys())
        # A second run in the same process writes through the kept connections.
        assert _materialize_all_days(instance).success
        assert len(instance.get_runs()) == 2
    # Another process (the UI's, say) reads what this one wrote, from the same files.
    code = (
        "import dagster as dg\n"
        "with dg.DagsterInstance.get() as i:\n"
        "    print(len(i.get_runs()), len(i.get_materialized_partitions(dg.AssetKey('daily_a'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["2", "20"]
    assert (home / "history" / "runs" / "index.db").exists()  # Dagster's own layout


def test_kept_connections_write_ahead_without_a_sync_per_commit(tmp_path, monkeypatch):
    _home(tmp_path, monkeypatch)
    with dg.DagsterInstance.get() as instance:
        assert _materialize_all_days(instance).success
        storage = instance.event_log_storage
        with storage._connect("index") as conn:
            journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            synchronous = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    assert (journal, synchronous) == ("wal", 1)  # 1 = NORMAL: a sync at checkpoints only


def test_a_deleted_run_leaves_the_storage_usable(tmp_path, monkeypatch):
    _home(tmp_path, monkeypatch)
    with dg.DagsterInstance.get() as instance:
        first = _materialize_all_days(instance)
        instance.delete_run(first.run_id)
        assert instance.get_run_by_id(first.run_id) is None
        assert not instance.all_logs(first.run_id)
        assert _materialize_all_days(instance).success
        assert len(instance.get_runs()) == 1


def test_the_repository_instance_file_names_the_pooled_storage():
    config = yaml.safe_load(dagster_yaml({}))
    assert config["storage"] == {
        "custom": {
            "module": "resources.dagster_sqlite",
            "class": "PooledSqliteStorage",
            "config": {"base_dir": {"env": "DAGSTER_HOME"}},
        }
    }
