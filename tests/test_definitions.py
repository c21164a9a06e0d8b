"""The code location loads, validates and materializes in-process."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from hashira_assets.definitions import build_definitions, defs
from hashira_assets.priorities import PRIORITY_TAG
from hashira_assets.raw.generate import RAW_TABLES

REPO = Path(__file__).resolve().parents[1]


JOBS = {"land_raw_world", "full_refresh", "daily_ingest", "retrain", "reindex",
        "summarize_conversations", "publish_catalog"}  # fmt: skip
SCHEDULES = {"nightly_ingest"}
SENSORS = {"new_app_events", "new_support_conversations", "new_app_products", "catalog_changed",
           "retrain_after_ingest", "record_pipeline_failures", "upstream_materialized"}  # fmt: skip


def test_defs_can_load():
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert set(RAW_TABLES) <= keys
    assert {f"lake_raw_{t}" for t in RAW_TABLES} <= keys
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    # Dagster adds its implicit asset job beside ours.
    assert jobs - {"__ASSET_JOB"} == JOBS
    assert {schedule.name for schedule in defs.schedules} == SCHEDULES
    assert {sensor.name for sensor in defs.sensors} == SENSORS
    for name in SENSORS:
        assert defs.resolve_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING
    assert defs.resolve_schedule_def("nightly_ingest").job_name == "daily_ingest"


def test_every_asset_has_a_description_and_a_group():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, key
        assert node.group_name != "default", key


def test_only_the_world_starts_a_run_and_the_portrait_model_yields_to_every_step():
    """Two steps run side by side in the demo: a root step other than the world would take the
    second core at the start, before the shop's steps are ready."""
    graph = defs.resolve_asset_graph()
    roots = {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if not graph.get(key).parent_keys and graph.get(key).is_materializable
    }
    world = {key.to_user_string() for key in defs.resolve_assets_def("products").keys}
    assert roots <= world
    job = defs.resolve_job_def("full_refresh")
    priority = {
        node.name: int(node.tags.get(PRIORITY_TAG, 0)) for node in job.graph.node_dict.values()
    }
    assert priority["slayer_image_model"] == min(priority.values())
    assert priority["slayer_image_model"] < 0


def test_environment_is_chosen_in_one_place(monkeypatch):
    monkeypatch.setenv("HASHIRA_ENV", "staging")
    with pytest.raises(ValueError, match="HASHIRA_ENV must be one of local, production"):
        build_definitions()


@pytest.mark.slow
def test_dagster_definitions_validate_passes(tmp_path):
    # One CLI load of the workspace file (each costs a full import of the code location); what
    # the location defines is checked in-process by test_defs_can_load.
    dagster = Path(sys.executable).with_name("dagster")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hashiramart" in result.stdout + result.stderr


def test_materialize_raw_and_lake_in_process(hashira_home):
    local = build_definitions("local", preset="tiny")
    raw_and_lake = "group:raw or group:lake"
    result = dg.materialize(list(local.assets), resources=local.resources, selection=raw_and_lake)
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"customers", "lake_raw_interaction_events"} <= materialized
    events = result.asset_materializations_for_node("lake_raw_interaction_events")
    metadata = events[0].metadata
    assert metadata["files_written"].value == 120
    assert metadata["dagster/row_count"].value > 0
    assert len(metadata["checksum"].value) == 64
    assert (hashira_home / "lake" / "raw" / "customers" / "_manifest.json").exists()
    # A second run lands nothing new: the generator is deterministic and landing skips by checksum.
    again = dg.materialize(list(local.assets), resources=local.resources, selection=raw_and_lake)
    metadata = again.asset_materializations_for_node("lake_raw_interaction_events")[0].metadata
    assert (metadata["files_written"].value, metadata["files_skipped"].value) == (0, 120)


def test_loading_the_definitions_leaves_the_model_libraries_unimported():
    """Every process that loads the definitions (the UI's code server, each run's worker and its
    step launcher) pays for what they import; the image and language model libraries, and sktime
    (which brings PyTorch), are imported by the steps that use them."""
    code = (
        "import sys, hashira_assets.definitions\n"
        "print(' '.join(m for m in ('diffusers', 'transformers', 'sentence_transformers', "
        "'lancedb', 'sktime', 'torch') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert out.stdout.strip() == ""
