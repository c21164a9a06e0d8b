"""Partitions shared by the event-driven layers."""

import datetime as dt

from dagster import AssetExecutionContext, BackfillPolicy, DailyPartitionsDefinition

# The first day any preset's world can start (two years before the worlds' end, 2026-10-31); days
# after the generated data belong to events the live shop logs.
EVENTS_START = "2024-11-01"
# end_offset=1: today's partition exists, so events the shop logs today can reach silver within
# minutes (the new-events sensor); the nightly run processes yesterday again once it is complete.
EVENT_DAYS = DailyPartitionsDefinition(start_date=EVENTS_START, timezone="UTC", end_offset=1)
# A backfill of any range of days runs as one Spark run, not one run per day.
SINGLE_RUN = BackfillPolicy.single_run()


def partition_dates(context: AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of the partitions a run covers."""
    window = context.partition_time_window
    return window.start.date(), (window.end - dt.timedelta(days=1)).date()
