"""Crash safety, proven by kill -9: a process killed by its pid in the middle of a lake landing,
a silver write, a LanceDB index update, an MLflow registration and an app-database write leaves
the previous version readable and complete, and the next run repairs without a hand step."""

from __future__ import annotations

import datetime as dt
import signal

import lancedb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from hashira_assets.index.store import fts_is_stale, sync_product_index
from hashira_assets.lake.landing import MANIFEST_NAME, land_table, read_lake_manifest
from hashira_assets.lake.landing import STAGING as LANDING_STAGING
from hashira_assets.spark.lake_tables import STAGING, TRASH, recover_table, write_table
from resources.app_database import AppDatabaseResource
from resources.lake import LakeResource
from resources.mlflow_tracking import MlflowTrackingResource
from resources.model_lifecycle import Candidate, Gate, run_lifecycle
from tests.support.crash import kill_at_marker

pytestmark = pytest.mark.integration


def lake_frame(lake_root, zone: str, table: str) -> pd.DataFrame:
    frame = ds.dataset(f"{lake_root}/{zone}/{table}", format="parquet", partitioning="hive")
    frame = frame.to_table().to_pandas()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


# Silver / gold writes ---------------------------------------------------------------------------

SPARK_WRITE = """
import pathlib, time
import pandas as pd
from resources.spark import get_spark_session
from resources.lake import LakeResource
from hashira_assets.spark.lake_tables import write_table

spark = get_spark_session("local[1]")
lake = LakeResource(root={root!r})
marker = pathlib.Path({marker!r})

def slow(batches):
    for batch in batches:
        marker.touch()  # Spark is writing the new version now
        time.sleep(120)
        yield batch

days = pd.to_datetime(["2026-01-01", "2026-01-02"]).date
frame = spark.createDataFrame(pd.DataFrame({{"event_date": days, "units": [7, 8]}}))
write_table(frame.mapInPandas(slow, frame.schema), lake, "silver", "daily_units", {partitioned})
"""


# One kill, of the partitioned write (a day folder swapped at a time); the unpartitioned write
# stages the same way, and both swaps are interrupted in the test after this one.
@pytest.mark.parametrize("partitioned", [True])
def test_a_spark_write_killed_midway_leaves_the_previous_version(spark, tmp_path, partitioned):
    root = tmp_path / "lake"
    lake = LakeResource(root=str(root))
    before = spark.createDataFrame(
        pd.DataFrame({"event_date": pd.to_datetime(["2026-01-01", "2026-01-02"]).date,
                      "units": [1, 2]})
    )  # fmt: skip
    write_table(before, lake, "silver", "daily_units", partitioned)
    previous = lake_frame(root, "silver", "daily_units")
    marker = tmp_path / "writing"
    code = kill_at_marker(
        SPARK_WRITE.format(root=str(root), marker=str(marker), partitioned=partitioned),
        marker,
        tmp_path / "write.log",
    )
    assert code == -signal.SIGKILL
    # The previous version, whole; the killed write left only its hidden staging folder.
    pd.testing.assert_frame_equal(lake_frame(root, "silver", "daily_units"), previous)
    # The next write repairs and replaces.
    after = spark.createDataFrame(
        pd.DataFrame({"event_date": pd.to_datetime(["2026-01-02"]).date, "units": [9]})
    )
    write_table(after, lake, "silver", "daily_units", partitioned)
    assert lake.list_dirs(f"silver/{STAGING}") == [] and lake.list_dirs(f"silver/{TRASH}") == []
    units = sorted(lake_frame(root, "silver", "daily_units")["units"])
    assert units == ([1, 9] if partitioned else [9])


@pytest.mark.parametrize("partitioned", [False, True])
def test_a_swap_interrupted_between_renames_is_undone_by_the_next_run(
    spark, tmp_path, monkeypatch, partitioned
):
    root = tmp_path / "lake"
    lake = LakeResource(root=str(root))
    frame = spark.createDataFrame(
        pd.DataFrame({"event_date": pd.to_datetime(["2026-01-01"]).date, "units": [1]})
    )
    write_table(frame, lake, "silver", "t", partitioned)
    previous = lake_frame(root, "silver", "t")
    moves = []

    def dies_after_moving_the_old_copy_away(src, dst):
        moves.append((src, dst))
        if len(moves) == 2:  # the old copy is in trash, the new one not yet in place
            raise KeyboardInterrupt("killed between the renames")
        type(lake.backend).move(lake.backend, src, dst)

    monkeypatch.setattr(
        type(lake), "move", lambda self, s, d: dies_after_moving_the_old_copy_away(s, d)
    )
    with pytest.raises(KeyboardInterrupt):
        write_table(frame.withColumn("units", frame.units + 1), lake, "silver", "t", partitioned)
    monkeypatch.undo()
    assert recover_table(lake, "silver", "t")
    pd.testing.assert_frame_equal(lake_frame(root, "silver", "t"), previous)


# Lake landing ---------------------------------------------------------------------------------

LANDING = """
import pathlib, time
from resources.lake import LakeResource
from hashira_assets.lake.landing import land_table

marker = pathlib.Path({marker!r})

def on_file(done, total):
    if done == 1:  # one changed file uploaded, two to go
        marker.touch()
        time.sleep(120)

land_table(LakeResource(root={root!r}), pathlib.Path({source!r}), "scores", on_file=on_file)
"""


def write_scores(folder, value: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for part in range(3):
        frame = pd.DataFrame({"part": [part] * 2, "score": [value, value + 1]})
        frame.to_parquet(folder / f"part-{part}.parquet", index=False)


def test_a_landing_killed_midway_leaves_the_previous_version(tmp_path):
    source, root = tmp_path / "world", tmp_path / "lake"
    lake = LakeResource(root=str(root))
    write_scores(source / "scores", 1)
    land_table(lake, source, "scores")
    previous, manifest = lake_frame(root, "raw", "scores"), read_lake_manifest(lake, "scores")
    write_scores(source / "scores", 5)  # every file changes
    marker = tmp_path / "landing"
    code = kill_at_marker(
        LANDING.format(marker=str(marker), root=str(root), source=str(source)),
        marker,
        tmp_path / "landing.log",
    )
    assert code == -signal.SIGKILL
    pd.testing.assert_frame_equal(lake_frame(root, "raw", "scores"), previous)
    assert read_lake_manifest(lake, "scores") == manifest
    assert lake.list_dirs(f"raw/{LANDING_STAGING}")  # what the killed landing staged
    report = land_table(lake, source, "scores")
    assert report.files_written == 3 and lake.list_dirs(f"raw/{LANDING_STAGING}") == []
    assert sorted(lake_frame(root, "raw", "scores")["score"].unique()) == [5, 6]
    assert lake.exists(f"raw/scores/{MANIFEST_NAME}")


# LanceDB index update ------------------------------------------------------------------------

INDEX_UPDATE = """
import pathlib, time
import lancedb
import pyarrow as pa
import hashira_assets.index.store as store

marker = pathlib.Path({marker!r})
real_embed = store.embed

def embed_then_hang(texts):
    marker.touch()  # removed products are deleted already; the changes are not merged yet
    time.sleep(120)
    return real_embed(texts)

store.embed = embed_then_hang
documents = pa.ipc.open_file({documents!r}).read_all()
store.sync_product_index(lancedb.connect({uri!r}), "products", documents)
"""


def index_documents(ids: list[int], suffix: str) -> pa.Table:
    texts = [f"product {i} katana {suffix}" for i in ids]
    return pa.table({
        "product_id": pa.array(ids, pa.int64()),
        "text": texts,
        "content_hash": [f"{i}-{suffix}" for i in ids],
    })  # fmt: skip


def test_an_index_update_killed_midway_leaves_a_readable_index_that_the_next_sync_repairs(
    tmp_path,
):
    uri = str(tmp_path / "lancedb")
    db = lancedb.connect(uri)
    first = index_documents(list(range(10)), "a")
    sync_product_index(db, "products", first)
    version = db.open_table("products").version
    second = index_documents(list(range(3, 14)), "b")  # 3 removed, 4 new, 7 changed
    path = tmp_path / "documents.arrow"
    with pa.ipc.new_file(path, second.schema) as writer:
        writer.write_table(second)
    marker = tmp_path / "indexing"
    code = kill_at_marker(
        INDEX_UPDATE.format(marker=str(marker), documents=str(path), uri=uri),
        marker,
        tmp_path / "index.log",
    )
    assert code == -signal.SIGKILL
    table = lancedb.connect(uri).open_table("products")
    # Every committed version is whole: the one before the sync reads exactly as it was.
    table.checkout(version)
    before = table.to_arrow().sort_by("product_id")
    assert before["product_id"].to_pylist() == list(range(10))
    assert before["content_hash"].to_pylist() == first["content_hash"].to_pylist()
    table.checkout_latest()
    assert table.to_arrow()["vector"].null_count == 0
    report = sync_product_index(lancedb.connect(uri), "products", second)
    table = lancedb.connect(uri).open_table("products")
    rows = table.to_arrow().sort_by("product_id")
    assert rows["product_id"].to_pylist() == list(range(3, 14)) and report.rows == 11
    assert rows["content_hash"].to_pylist() == second["content_hash"].to_pylist()
    assert not fts_is_stale(table)
    assert len(table.search("katana", query_type="fts").limit(20).to_list()) == 11


# MLflow registration -------------------------------------------------------------------------

REGISTRATION = """
import pathlib, time
import resources.mlflow_tracking as tracking_module
from resources.mlflow_tracking import MlflowTrackingResource
from resources.model_lifecycle import Candidate, Gate, run_lifecycle

marker = pathlib.Path({marker!r})
real_digest = tracking_module.folder_digest

def digest_then_hang(folder):
    marker.touch()  # the run and its artifacts are logged; the version is not created yet
    time.sleep(120)
    return real_digest(folder)

tracking_module.folder_digest = digest_then_hang
tracking = MlflowTrackingResource(artifact_root={artifacts!r})
run_lifecycle(tracking, Candidate(
    model_name="hashira-toy", experiment="toy", gate=Gate("accuracy"), params={{}},
    metrics={{"accuracy": 0.9}},
    write_model=lambda folder: (folder / "skill.txt").write_text("0.9"),
    evaluate_saved=lambda folder: {{"accuracy": float((folder / "skill.txt").read_text())}},
))
"""


def toy_candidate(skill: float):
    return Candidate(
        model_name="hashira-toy", experiment="toy", gate=Gate("accuracy"), params={},
        metrics={"accuracy": skill},
        write_model=lambda folder: (folder / "skill.txt").write_text(repr(skill)),
        evaluate_saved=lambda folder: {"accuracy": float((folder / "skill.txt").read_text())},
    )  # fmt: skip


def test_a_registration_killed_midway_leaves_the_champion_served(tmp_path, monkeypatch):
    monkeypatch.setenv("HASHIRA_HOME", str(tmp_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    artifacts = (tmp_path / "art").as_uri()
    tracking = MlflowTrackingResource(artifact_root=artifacts)
    champion = run_lifecycle(tracking, toy_candidate(0.5)).version
    marker = tmp_path / "registering"
    code = kill_at_marker(
        REGISTRATION.format(marker=str(marker), artifacts=artifacts),
        marker,
        tmp_path / "registration.log",
    )
    assert code == -signal.SIGKILL
    client = tracking.client()
    assert len(client.search_model_versions("name = 'hashira-toy'")) == 1
    assert tracking.champion_version("hashira-toy") == champion
    tracking.download_version("hashira-toy", champion, tmp_path / "served")  # checksum holds
    killed = client.search_runs([tracking.experiment_id("toy")], "attributes.status = 'RUNNING'")
    assert len(killed) == 1
    # The next run ends the dead one, registers its own version and grades it.
    result = run_lifecycle(tracking, toy_candidate(0.7))
    assert result.decision.promoted and result.decision.champion_version == champion
    dead = client.get_run(killed[0].info.run_id)
    assert dead.info.status == "FAILED" and "process was gone" in dead.data.tags["hashira.ended_by"]


# App database write ---------------------------------------------------------------------------

APP_WRITE = """
import datetime as dt, pathlib, time
import sqlalchemy as sa
from resources.app_database import AppDatabaseResource

marker = pathlib.Path({marker!r})
app_db = AppDatabaseResource(url={url!r})

def before_commit(conn):
    marker.touch()  # every row is inserted; the transaction is not committed yet
    time.sleep(120)

sa.event.listen(app_db.engine(), "commit", before_commit)
event = {{"session_id": 1, "customer_id": 7, "product_id": 3, "event_type": "view",
          "event_ts": dt.datetime(2026, 11, 2, 10, 0), "price": 10.0, "quantity": 1}}
app_db.log_events([event] * 5000)
"""


def test_an_app_database_write_killed_midway_loses_nothing_committed(tmp_path):
    url = f"sqlite:///{tmp_path}/app.db"
    app_db = AppDatabaseResource(url=url)
    event = {"session_id": 1, "customer_id": 7, "product_id": 3, "event_type": "view",
             "event_ts": dt.datetime(2026, 11, 2, 9, 0), "price": 10.0, "quantity": 1}  # fmt: skip
    committed = app_db.log_events([event] * 3)
    app_db.engine().dispose()
    marker = tmp_path / "writing"
    code = kill_at_marker(
        APP_WRITE.format(marker=str(marker), url=url), marker, tmp_path / "app.log"
    )
    assert code == -signal.SIGKILL
    reopened = AppDatabaseResource(url=url)
    assert reopened.events_after(0)["event_id"].tolist() == committed  # none of the 5,000
    more = reopened.log_events([event] * 2)  # the next write goes through
    assert reopened.events_after(0)["event_id"].tolist() == committed + more
