"""What the Dagster instance knows of runs that have not finished: which assets they plan and
have materialized. The catalog sensor asks it before requesting a re-index, and the serving
layer's build status (the app's "being built now", `hashira launch`) reads runs through it."""

from __future__ import annotations

from dagster import DagsterEventType, DagsterRunStatus, RunsFilter

# Runs that have not finished yet.
ACTIVE_STATUSES = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


def asset_keys_of(instance, run_id: str, event_type: DagsterEventType) -> frozenset[str]:
    """The asset keys of one kind of event (planned, materialized) in a run."""
    records = instance.get_records_for_run(run_id, of_type=event_type).records
    return frozenset(
        r.event_log_entry.dagster_event.asset_key.to_user_string()
        for r in records
        if r.event_log_entry.dagster_event is not None
        and r.event_log_entry.dagster_event.asset_key is not None
    )


def planned_assets(instance, run_id: str) -> frozenset[str]:
    return asset_keys_of(instance, run_id, DagsterEventType.ASSET_MATERIALIZATION_PLANNED)


def materialized_assets(instance, run_id: str) -> frozenset[str]:
    return asset_keys_of(instance, run_id, DagsterEventType.ASSET_MATERIALIZATION)


def active_run_ids(instance, limit: int = 20) -> list[str]:
    """Runs that have not finished, newest first."""
    statuses = [DagsterRunStatus(s) for s in ACTIVE_STATUSES]
    records = instance.get_run_records(filters=RunsFilter(statuses=statuses), limit=limit)
    return [r.dagster_run.run_id for r in records]


def run_building(instance, asset: str) -> str | None:
    """The id of an unfinished run that will still materialize `asset`, if any."""
    for run_id in active_run_ids(instance):
        if asset in planned_assets(instance, run_id) - materialized_assets(instance, run_id):
            return run_id
    return None
