"""What the graph is building right now, read from the Dagster instance of DAGSTER_HOME.

The app's pages use it to say what they are still waiting for while `make demo` builds the graph,
and `hashira launch --follow` to print a run's progress.
"""

from __future__ import annotations

import dataclasses
import time

from hashira_serving.cache import cache
from jobs.run_records import active_run_ids, materialized_assets, planned_assets

FINISHED_STATUSES = ("SUCCESS", "FAILURE", "CANCELED")
BUILD_TTL_SECONDS = 5.0


@dataclasses.dataclass(frozen=True)
class RunProgress:
    """One run's progress: its steps and the assets it plans and has materialized."""

    run_id: str
    job_name: str
    status: str
    started_at: float | None  # epoch seconds
    ended_at: float | None
    steps_total: int
    steps_done: tuple[str, ...]
    steps_running: tuple[str, ...]
    steps_failed: tuple[str, ...]
    planned_assets: frozenset[str]
    materialized_assets: frozenset[str]

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    def elapsed_seconds(self, now: float | None = None) -> float:
        if self.started_at is None:
            return 0.0
        return (self.ended_at or now or time.time()) - self.started_at

    def builds(self, asset: str) -> bool:
        """Whether this run will still materialize `asset` (planned, not yet done)."""
        return asset in self.planned_assets and asset not in self.materialized_assets

    def summary(self, now: float | None = None) -> str:
        """'12 of 27 steps done, running gold_tables and summarizer_model, 4 min 10 s'."""
        parts = [f"{len(self.steps_done)} of {self.steps_total} steps done"]
        if self.steps_running:
            parts.append("running " + " and ".join(self.steps_running))
        if self.steps_failed:
            parts.append("failed: " + ", ".join(self.steps_failed))
        if self.status in ("QUEUED", "NOT_STARTED", "STARTING"):
            parts = [f"{self.status.lower().replace('_', ' ')}"]
        parts.append(duration_text(self.elapsed_seconds(now)))
        return ", ".join(parts)


def duration_text(seconds: float) -> str:
    """'45 s', '4 min 10 s', '1 h 02 min'."""
    seconds = int(max(seconds, 0))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def run_progress(instance, run_id: str) -> RunProgress:
    """A run's progress from its record, its plan and its events."""
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        raise LookupError(f"no run {run_id} in this Dagster instance")
    run = record.dagster_run
    steps_total = _planned_step_count(instance, run)
    stats = instance.get_run_step_stats(run_id)
    done = tuple(s.step_key for s in stats if s.status is not None and s.status.value == "SUCCESS")
    failed = tuple(
        s.step_key for s in stats if s.status is not None and s.status.value == "FAILURE"
    )
    running = tuple(s.step_key for s in stats if s.end_time is None and s.start_time is not None)
    planned = planned_assets(instance, run_id)
    materialized = materialized_assets(instance, run_id)
    return RunProgress(
        run_id=run_id,
        job_name=run.job_name,
        status=run.status.value,
        started_at=record.start_time,
        ended_at=record.end_time,
        steps_total=max(steps_total, len(done) + len(running) + len(failed)),
        steps_done=done,
        steps_running=running,
        steps_failed=failed,
        planned_assets=planned,
        materialized_assets=materialized,
    )


def _planned_step_count(instance, run) -> int:
    if not run.execution_plan_snapshot_id:
        return 0
    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    keys = plan.step_keys_to_execute or [step.key for step in plan.steps]
    return len(keys)


def active_run_id(instance) -> str | None:
    """The newest run that has not finished, if any."""
    ids = active_run_ids(instance, limit=1)
    return ids[0] if ids else None


_builds = cache(ttl=BUILD_TTL_SECONDS, max_entries=4)


def building_now() -> RunProgress | None:
    """The progress of the run building the graph now (re-read every few seconds), or None when
    nothing runs or there is no DAGSTER_HOME."""
    import os

    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return None

    def load() -> RunProgress | None:
        from hashira_assets.lakehouse import dagster_instance

        instance = dagster_instance()
        if instance is None:
            return None
        with instance:
            run_id = active_run_id(instance)
            return run_progress(instance, run_id) if run_id else None

    return _builds.get(("building", home), load)
