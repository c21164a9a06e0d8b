"""The nightly schedule: yesterday's events through silver, gold and features; the retrain follows
when that run succeeds (jobs/sensors.py: retrain_after_ingest)."""

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from jobs.asset_jobs import daily_ingest
from jobs.triggers import nightly_partition

# 02:00 UTC: late enough that the new-events sensor (max age 1 hour by default) has landed all of
# yesterday's app events.
NIGHTLY_CRON = "0 2 * * *"


@schedule(
    job=daily_ingest,
    cron_schedule=NIGHTLY_CRON,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
def nightly_ingest(context: ScheduleEvaluationContext):
    """Ingest yesterday, now complete; retrain follows its success."""
    day = nightly_partition(context.scheduled_execution_time)
    return RunRequest(
        run_key=f"nightly-{day}", partition_key=day, tags={"hashira/trigger": "nightly"}
    )


SCHEDULES = (nightly_ingest,)
