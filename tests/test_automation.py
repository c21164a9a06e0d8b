"""Jobs, the nightly schedule and declarative automation of the asset graph."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from hashira_assets.definitions import build_definitions
from jobs.asset_jobs import INGEST_FIRST, INGEST_GROUPS, REINDEX_GROUPS, RETRAIN_GROUPS
from jobs.schedules import nightly_ingest

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


# Jobs and schedules ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def defs():
    return build_definitions("local", preset="tiny")


@pytest.mark.parametrize(
    ("job", "groups", "extra"),
    [
        ("daily_ingest", INGEST_GROUPS, INGEST_FIRST),
        ("retrain", RETRAIN_GROUPS, ()),
        ("reindex", REINDEX_GROUPS, ()),
    ],
)
def test_jobs_select_whole_asset_groups(defs, job, groups, extra):
    graph = defs.resolve_asset_graph()
    expected = {k for k in graph.get_all_asset_keys() if graph.get(k).group_name in groups}
    expected |= {dg.AssetKey(name) for name in extra}
    selected = set(defs.resolve_job_def(job).asset_layer.selected_asset_keys)
    assert selected == expected and expected


def test_full_refresh_selects_everything_and_ingest_is_daily(defs):
    graph = defs.resolve_asset_graph()
    full = defs.resolve_job_def("full_refresh")
    assert set(full.asset_layer.selected_asset_keys) == set(graph.get_all_asset_keys())
    ingest = defs.resolve_job_def("daily_ingest")
    assert ingest.partitions_def.get_first_partition_key() == "2024-11-01"
    # Today's partition exists, so events logged today can be ingested today.
    assert ingest.partitions_def.get_partition_keys(current_time=NOW)[-1] == "2026-11-21"


def test_nightly_schedule_ingests_yesterday():
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
    )
    request = nightly_ingest(context)
    assert request.partition_key == "2026-11-01"
    assert request.run_key == "nightly-2026-11-01"
    assert nightly_ingest.cron_schedule == "0 2 * * *"
    assert nightly_ingest.job_name == "daily_ingest"


# Declarative automation -----------------------------------------------------------------------


@pytest.mark.parametrize("gate_passed", [True, False])
def test_recommendations_follow_a_new_model_only_through_its_gate(defs, gate_passed):
    target = dg.AssetSelection.assets("user_recommendations")
    with dg.instance_for_test() as instance:
        first = dg.evaluate_automation_conditions(defs, instance, asset_selection=target)
        assert first.total_requested == 0  # its model is missing
        instance.report_runless_asset_event(dg.AssetMaterialization("recommender_model"))
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey("recommender_model"),
                check_name="beats_champion",
                passed=gate_passed,
            )
        )
        second = dg.evaluate_automation_conditions(
            defs, instance, asset_selection=target, cursor=first.cursor
        )
    assert second.total_requested == (1 if gate_passed else 0)


def test_a_newly_generated_world_is_landed_by_automation(defs):
    target = dg.AssetSelection.groups("lake") | dg.AssetSelection.assets("app_customers")
    with dg.instance_for_test() as instance:
        first = dg.evaluate_automation_conditions(defs, instance, asset_selection=target)
        assert first.total_requested == 0
        instance.report_runless_asset_event(dg.AssetMaterialization("customers"))
        second = dg.evaluate_automation_conditions(
            defs, instance, asset_selection=target, cursor=first.cursor
        )
    assert second.get_num_requested(dg.AssetKey("app_customers")) == 1
    assert second.get_num_requested(dg.AssetKey("lake_raw_customers")) == 1
    assert second.get_num_requested(dg.AssetKey("lake_raw_products")) == 0
