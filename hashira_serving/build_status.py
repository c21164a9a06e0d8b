"""What the graph is building right now, read from the Dagster instance of DAGSTER_HOME.

The app's pages use it to say what they are still waiting for while `make demo` builds the graph,
and `hashira launch --follow` to print a run's progress.
"""

from __future__ import annotations

import dataclasses
import threading
import time

from hashira_serving.cache import cache
from jobs.run_records import active_run_ids

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


@dataclasses.dataclass
class RunEvents:
    """A run's steps and assets, folded from its events in the order they were written (dicts
    keep the order steps started and ended in)."""

    running: dict[str, None] = dataclasses.field(default_factory=dict)
    done: dict[str, None] = dataclasses.field(default_factory=dict)
    failed: dict[str, None] = dataclasses.field(default_factory=dict)
    planned: set[str] = dataclasses.field(default_factory=set)
    materialized: set[str] = dataclasses.field(default_factory=set)

    def apply(self, event) -> None:
        """Fold in one Dagster event (None: a plain log line)."""
        if event is None:
            return
        kind, step = event.event_type_value, event.step_key
        if kind == "STEP_START" and step:
            self.running[step] = None
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and step:
            self.running.pop(step, None)
            (self.done if kind == "STEP_SUCCESS" else self.failed)[step] = None
        elif kind in ("ASSET_MATERIALIZATION_PLANNED", "ASSET_MATERIALIZATION") and event.asset_key:
            keys = self.planned if kind.endswith("PLANNED") else self.materialized
            keys.add(event.asset_key.to_user_string())


class RunWatcher:
    """A run's progress read incrementally: each look reads only the events written since the
    last one. Reading a whole run's events on every look cost 4.5 s of CPU at the end of the
    `small` demo run (thousands of daily-partition materializations, each deserialized again), and
    `hashira launch` looks every 2 s on a 2-core machine that is building the graph."""

    def __init__(self, instance, run_id: str):
        if instance.get_run_record_by_id(run_id) is None:
            raise LookupError(f"no run {run_id} in this Dagster instance")
        self.instance = instance
        self.run_id = run_id
        self.events = RunEvents()
        self._cursor: str | None = None
        self._steps_total: int | None = None

    def _read_new_events(self) -> None:
        while True:
            page = self.instance.get_records_for_run(self.run_id, cursor=self._cursor, limit=1000)
            for record in page.records:
                self.events.apply(record.event_log_entry.dagster_event)
            self._cursor = page.cursor
            if not page.has_more:
                return

    def look(self) -> RunProgress:
        """The run's progress now."""
        record = self.instance.get_run_record_by_id(self.run_id)
        run = record.dagster_run
        if self._steps_total is None:
            self._steps_total = _planned_step_count(self.instance, run)
        self._read_new_events()
        events = self.events
        done, running, failed = tuple(events.done), tuple(events.running), tuple(events.failed)
        return RunProgress(
            run_id=self.run_id,
            job_name=run.job_name,
            status=run.status.value,
            started_at=record.start_time,
            ended_at=record.end_time,
            steps_total=max(self._steps_total, len(done) + len(running) + len(failed)),
            steps_done=done,
            steps_running=running,
            steps_failed=failed,
            planned_assets=frozenset(events.planned),
            materialized_assets=frozenset(events.materialized),
        )


def run_progress(instance, run_id: str) -> RunProgress:
    """A run's progress from its record, its plan and its events (one look; follow a run with a
    `RunWatcher`)."""
    return RunWatcher(instance, run_id).look()


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
            if run_id is None:
                return None
            # One watcher per run, kept between looks: each look reads only the new events.
            # Pages render in threads side by side; one looks at a time.
            with _watchers_lock:
                key = (home, run_id)
                if key not in _watchers:
                    _watchers.clear()
                    _watchers[key] = RunWatcher(instance, run_id)
                watcher = _watchers[key]
                watcher.instance = instance
                return watcher.look()

    return _builds.get(("building", home), load)


_watchers: dict[tuple[str, str], RunWatcher] = {}
_watchers_lock = threading.Lock()
