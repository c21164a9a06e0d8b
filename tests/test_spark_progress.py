"""Progress lines of a running Spark job."""

from __future__ import annotations

import time
from types import SimpleNamespace

from hashira_assets.spark.progress import describe_active_stages, spark_progress


class _Tracker:
    def __init__(self, stages):
        self.stages = stages

    def getActiveStageIds(self):
        return list(self.stages)

    def getStageInfo(self, stage_id):
        return self.stages[stage_id]


def _stage(stage_id, name, done, total, running):
    return SimpleNamespace(
        stageId=stage_id, name=name, numCompletedTasks=done, numTasks=total, numActiveTasks=running
    )


def test_started_stages_are_one_line_and_no_stage_is_none():
    tracker = _Tracker(
        {
            47: _stage(47, "save at NativeMethodAccessorImpl.java:0", 3, 8, 2),
            45: _stage(45, "$anonfun$withThreadLocalCaptured$1 at Future.scala:0", 8, 8, 0),
            46: None,  # finished between the two calls
            48: _stage(48, "save at NativeMethodAccessorImpl.java:0", 0, 8, 0),  # queued
        }
    )
    assert describe_active_stages(tracker) == (
        "stage 45: 8/8 tasks, 0 running; stage 47 (save): 3/8 tasks, 2 running"
    )
    queued = _Tracker({48: _stage(48, "count at X.java:0", 0, 8, 0)})
    assert describe_active_stages(queued) == "stage 48 (count): 0/8 tasks, 0 running"
    assert describe_active_stages(_Tracker({})) is None


def test_a_running_job_is_reported_and_the_reporter_stops_with_the_block(spark):
    lines: list[str] = []
    with spark_progress(spark, lines.append, every_seconds=0.3, label="silver"):
        # Four tasks that each sleep 1.5 s in the JVM (no Python worker needed).
        slow = spark.range(0, 4, numPartitions=4).selectExpr(
            "reflect('java.lang.Thread', 'sleep', cast(1500 as bigint)) as slept"
        )
        assert len(slow.collect()) == 4
    assert lines, "no progress line while the job ran"
    assert all(line.startswith("silver: stage ") and " tasks, " in line for line in lines)
    seen = len(lines)
    time.sleep(0.8)
    assert len(lines) == seen  # nothing more after the block
