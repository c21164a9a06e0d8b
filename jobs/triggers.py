"""What the sensors and schedules decide, as plain functions: which days to ingest, whether the
catalog changed, what a failed run leaves for the app to show."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from dagster import RunRequest

from hashira_assets.lake.landing import describe_local_table, table_checksum
from hashira_assets.partitions import EVENT_DAYS
from jobs.landing import Landing

# The raw tables the product index is built from.
CATALOG_TABLES = ("products", "product_faqs")
# Dagster's run tags for a partition and for a range of partitions run as one.
PARTITION_NAME_TAG = "dagster/partition"
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"


def day_ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days grouped into (first, last) ranges, in order."""
    ranges: list[list[dt.date]] = []
    for day in sorted(set(days)):
        if ranges and day - ranges[-1][1] == dt.timedelta(days=1):
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return [(first, last) for first, last in ranges]


def partition_range_tags(first: dt.date, last: dt.date) -> dict[str, str]:
    """Run tags that make one run cover the daily partitions first..last (inclusive)."""
    return {
        ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
    }


def ingestible_days(days: Iterable[dt.date], now: dt.datetime) -> tuple[list, list]:
    """(days with an event partition, days before the first one or after today)."""
    keys = set(EVENT_DAYS.get_partition_keys(current_time=now))
    inside = sorted({d for d in days if d.isoformat() in keys})
    outside = sorted({d for d in days if d.isoformat() not in keys})
    return inside, outside


def ingest_requests(landing: Landing, now: dt.datetime) -> list[RunRequest]:
    """One `daily_ingest` run per range of consecutive days the landing wrote to."""
    days, _ = ingestible_days(landing.dates, now)
    return [
        RunRequest(
            run_key=f"app-events-{landing.first_id}-{landing.last_id}-{first}-{last}",
            tags={**partition_range_tags(first, last), "hashira/trigger": "new_app_events"},
        )
        for first, last in day_ranges(days)
    ]


def nightly_partition(scheduled_time: dt.datetime) -> str:
    """The day a nightly run ingests: the last complete day before the tick."""
    return (scheduled_time.astimezone(dt.UTC).date() - dt.timedelta(days=1)).isoformat()


@dataclasses.dataclass(frozen=True)
class CatalogState:
    """The catalog's content checksum and when its files last changed."""

    checksum: str
    modified: float  # newest file modification time, epoch seconds


def catalog_state(raw_dir: Path) -> CatalogState:
    """Checksum over every file of the raw tables the product index reads."""
    files: dict[str, dict] = {}
    modified = 0.0
    for table in CATALOG_TABLES:
        folder = Path(raw_dir) / table
        for rel, info in describe_local_table(folder).items():
            files[f"{table}/{rel}"] = info
            modified = max(modified, (folder / rel).stat().st_mtime)
    return CatalogState(checksum=table_checksum(files), modified=modified)


def catalog_needs_reindex(
    state: CatalogState, cursor: str | None, last_indexed: float | None
) -> bool:
    """Whether the product index is behind the catalog."""
    # With a cursor: the checksum moved since the last request. Without (a fresh sensor): the
    # index was never built, or was built before the catalog's files last changed.
    if cursor is not None:
        return cursor != state.checksum
    return last_indexed is None or last_indexed < state.modified


def run_partition(tags: dict[str, str]) -> str | None:
    """A run's partition key, or `first..last` for a range of days."""
    if PARTITION_NAME_TAG in tags:
        return tags[PARTITION_NAME_TAG]
    if ASSET_PARTITION_RANGE_START_TAG in tags:
        return f"{tags[ASSET_PARTITION_RANGE_START_TAG]}..{tags[ASSET_PARTITION_RANGE_END_TAG]}"
    return None


def root_error(error) -> str:
    """The innermost cause's message: the step's own exception, not Dagster's wrapper."""
    if error is None:
        return ""
    while error.cause is not None:
        error = error.cause
    return error.message


def failure_message(run_message: str, step_errors: Sequence[tuple[str, str]]) -> str:
    """The run's failure message followed by each failed step's first error line."""
    lines = [run_message.strip()]
    for step, error in step_errors:
        first = error.strip().splitlines()[0] if error.strip() else "(no error message)"
        lines.append(f"{step}: {first}")
    return "\n".join(lines)
