"""The whole Spark layer on the tiny world: quality gates, conservation, and a real cluster."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pyspark.find_spark_home import _find_spark_home

from tests.spark_layer import SPARK_TABLES, materialize_world, read_lake_table
from tests.support.background import background_process, free_port, wait_for_http

pytestmark = [pytest.mark.integration, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def half_percent_world(tmp_path_factory):
    """The tiny world with 0.5% faulty events, materialized end to end."""
    home = tmp_path_factory.mktemp("home05")
    result = materialize_world(home, corrupt_rate=0.005)
    return home, result


def _check(result, name):
    evaluations = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    assert evaluations, name
    return evaluations[0]


def test_small_faults_pass_the_gate_with_a_warning(half_percent_world):
    _, result = half_percent_world
    assert result.success
    gate = _check(result, "quarantine_within_threshold")
    assert gate.passed
    assert gate.description.startswith("warning:")
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"daily_total_sales", "user_features", "co_visitation_pairs"} <= materialized


def test_quarantine_explains_every_rejected_row(half_percent_world):
    home, result = half_percent_world
    injected = json.loads((home / "raw" / "manifest.json").read_text())["injected_faults"]
    quarantine = read_lake_table(home, "silver", "quarantined_interaction_events")
    by_rule = quarantine["reject_reason"].value_counts().to_dict()
    expected = {k: v for k, v in injected.items() if v and not k.endswith("duplicate")}
    assert by_rule == expected
    conserved = _check(result, "rows_conserved")
    assert conserved.passed
    counts = {k: v.value for k, v in conserved.metadata.items()}
    raw_rows = counts["raw_rows"]
    assert (
        raw_rows
        == json.loads((home / "raw" / "manifest.json").read_text())["row_counts"][
            "interaction_events"
        ]
    )
    removed = counts["exact_duplicates"] + counts["near_duplicates"]
    assert raw_rows == counts["silver_rows"] + counts["quarantined_rows"] + removed
    assert counts["exact_duplicates"] == injected["exact_duplicate"]
    # A clean world can hold a rare natural double event; injected retries are all caught.
    assert injected["near_duplicate"] <= counts["near_duplicates"] <= injected["near_duplicate"] + 3


def test_gold_agrees_with_silver(half_percent_world):
    home, _ = half_percent_world
    silver = read_lake_table(home, "silver", "interaction_events")
    purchases = silver[silver["event_type"] == "purchase"]
    totals = read_lake_table(home, "gold", "daily_total_sales")
    assert totals["units"].sum() == purchases["quantity"].sum()
    products = read_lake_table(home, "gold", "daily_product_sales")
    assert products["revenue"].sum() == pytest.approx(totals["revenue"].sum(), abs=0.5)
    assert totals["event_date"].nunique() == 120
    funnel = read_lake_table(home, "gold", "daily_funnel")
    assert (funnel["view_sessions"] >= funnel["cart_sessions"]).all()
    users = read_lake_table(home, "features", "user_features")
    assert users["customer_id"].is_unique and len(users) <= 500


def test_large_faults_stop_downstream_and_say_why(tmp_path):
    result = materialize_world(
        tmp_path,
        corrupt_rate=0.05,
        selection="group:raw or group:lake or group:silver or group:gold",
    )
    gate = _check(result, "quarantine_within_threshold")
    assert not gate.passed
    assert "above the 1.00% threshold" in gate.description
    assert "negative_price" in gate.metadata["rules_fired"].value
    assert "reject_reason" in gate.metadata["examples"].value
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "silver_interaction_events" in materialized
    assert not materialized & {"daily_total_sales", "daily_product_sales", "daily_funnel"}


def test_a_raised_threshold_lets_the_same_data_through(tmp_path):
    result = materialize_world(
        tmp_path,
        corrupt_rate=0.05,
        selection="group:raw or group:lake or group:silver or key:daily_total_sales",
        run_config={"ops": {"silver_events": {"config": {"max_quarantined_share": 0.08}}}},
    )
    assert result.success
    assert _check(result, "quarantine_within_threshold").passed


@pytest.fixture
def standalone_cluster(tmp_path):
    """A Spark master and one worker on loopback, started from the pip-installed pyspark."""
    spark_class = str(Path(_find_spark_home()) / "bin" / "spark-class")
    port, ui_port, worker_ui = free_port(), free_port(), free_port()
    env = {"SPARK_LOCAL_IP": "127.0.0.1", "SPARK_WORKER_DIR": str(tmp_path / "work")}
    master_args = [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                   "--port", str(port), "--webui-port", str(ui_port)]  # fmt: skip
    worker_args = [spark_class, "org.apache.spark.deploy.worker.Worker",
                   f"spark://127.0.0.1:{port}", "--host", "127.0.0.1", "--cores", "2",
                   "--memory", "4g", "--webui-port", str(worker_ui)]  # fmt: skip
    with background_process(master_args, tmp_path / "master.log", env) as master:
        wait_for_http(f"http://127.0.0.1:{ui_port}/json/", timeout=120, process=master)
        with background_process(worker_args, tmp_path / "worker.log", env) as worker:
            _wait_for_worker(ui_port, worker)
            yield f"spark://127.0.0.1:{port}"


def _wait_for_worker(ui_port, worker, timeout=120):
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the Spark worker exited"
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=5) as response:
            if json.load(response).get("aliveworkers", 0) >= 1:
                return
        time.sleep(1)
    raise TimeoutError("no Spark worker registered with the master")


def test_a_standalone_cluster_gives_identical_tables(
    half_percent_world, standalone_cluster, tmp_path
):
    local_home, _ = half_percent_world
    cluster_home = tmp_path / "cluster_home"
    shutil.copytree(local_home / "raw", cluster_home / "raw")
    shutil.copytree(local_home / "lake" / "raw", cluster_home / "lake" / "raw")
    hashira = Path(sys.executable).with_name("hashira")
    env = {
        **os.environ,
        "HASHIRA_HOME": str(cluster_home),
        "HASHIRA_SPARK_MASTER": standalone_cluster,
    }
    env.pop("DAGSTER_HOME", None)
    run = subprocess.run(
        [str(hashira), "materialize", "--preset", "tiny", "--select",
         "group:silver or group:gold or group:features"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    for zone, names in SPARK_TABLES.items():
        for name in names:
            local = read_lake_table(local_home, zone, name)
            cluster = read_lake_table(cluster_home, zone, name)
            pd.testing.assert_frame_equal(local, cluster, check_dtype=True, obj=f"{zone}/{name}")


def test_a_new_day_rewrites_only_its_own_partitions(half_percent_world):
    home, _ = half_percent_world
    day_folder = "event_date=2026-10-31"
    silver = home / "lake" / "silver" / "interaction_events"
    gold = home / "lake" / "gold" / "daily_total_sales"
    before = {p: p.stat().st_mtime_ns for p in [*silver.glob("event_date=*/*.parquet"),
                                                *gold.glob("event_date=*/*.parquet")]}  # fmt: skip
    totals_before = read_lake_table(home, "gold", "daily_total_sales")
    result = materialize_world(
        home,
        corrupt_rate=0.005,
        selection="key:silver_interaction_events or key:quarantined_interaction_events "
        "or key:daily_total_sales",
        partition_key="2026-10-31",
    )
    assert result.success
    after = {p: p.stat().st_mtime_ns for p in [*silver.glob("event_date=*/*.parquet"),
                                               *gold.glob("event_date=*/*.parquet")]}  # fmt: skip
    rewritten = {p.parent.name for p in after if before.get(p) != after[p]}
    assert rewritten == {day_folder}
    pd.testing.assert_frame_equal(read_lake_table(home, "gold", "daily_total_sales"), totals_before)
