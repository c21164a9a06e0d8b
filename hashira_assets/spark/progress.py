"""What a long Spark job is doing, logged while it runs: each active stage's finished tasks.

A Spark write at `hm` runs for many minutes with nothing in the run's log; a background thread
reads the driver's status tracker every `every_seconds` and logs one line while stages are active.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any


def describe_active_stages(tracker: Any) -> str | None:
    """One line for the active stages that have started: 'stage 47 (save): 3/8 tasks, 2 running'
    (None when no stage is active; the queued ones only when nothing has started)."""
    stages = [tracker.getStageInfo(i) for i in sorted(tracker.getActiveStageIds())]
    stages = [s for s in stages if s is not None]  # finished between the two calls
    started = [s for s in stages if s.numActiveTasks or s.numCompletedTasks]
    parts = []
    for info in started or stages:
        # Spark names a stage after its call site ("save at NativeMethodAccessorImpl.java:0");
        # generated closures ("$anonfun$...") say nothing and are left out.
        name = info.name.split(" at ")[0]
        named = f" ({name})" if name.isidentifier() else ""
        parts.append(
            f"stage {info.stageId}{named}: {info.numCompletedTasks}/{info.numTasks} tasks, "
            f"{info.numActiveTasks} running"
        )
    return "; ".join(parts) or None


@contextlib.contextmanager
def spark_progress(
    spark: Any, emit: Callable[[str], None], every_seconds: float = 30.0, label: str = "spark"
) -> Iterator[None]:
    """Log the active stages' progress every `every_seconds` while the block runs."""
    tracker = spark.sparkContext.statusTracker()
    stop = threading.Event()
    started = time.monotonic()

    def report() -> None:
        while not stop.wait(every_seconds):
            line = describe_active_stages(tracker)
            if line:
                emit(f"{label}: {line} ({time.monotonic() - started:.0f} s)")

    thread = threading.Thread(target=report, name="spark-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
