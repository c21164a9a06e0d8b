"""Reading and writing the lake's Parquet tables with Spark, by zone and table name."""

from __future__ import annotations

import datetime as dt
import posixpath
import time
import uuid

from dagster import DataVersion, MaterializeResult, MetadataValue
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from hashira_assets.lake.versions import spark_table_version
from hashira_assets.metadata import markdown_table
from resources.lake import LakeResource

DATE_COLUMN = "event_date"
# Beside the zone's tables; hidden from Spark and pyarrow (a leading underscore).
STAGING = "_staging"
TRASH = "_trash"
SUCCESS = "_SUCCESS"
CONTENT_VERSION = "content_version"


def table_uri(lake: LakeResource, zone: str, table: str) -> str:
    return lake.spark_uri(posixpath.join(zone, table))


def read_table(
    spark: SparkSession,
    lake: LakeResource,
    zone: str,
    table: str,
    date_range: tuple[dt.date, dt.date] | None = None,
) -> DataFrame:
    """A lake table; with date_range (inclusive), only those event_date partitions are read."""
    uri = table_uri(lake, zone, table)
    frame = spark.read.option("basePath", uri).parquet(uri)
    if date_range is not None:
        start, end = date_range
        frame = frame.where(F.col(DATE_COLUMN).between(F.lit(start), F.lit(end)))
    return frame


def write_table(
    frame: DataFrame,
    lake: LakeResource,
    zone: str,
    table: str,
    partitioned: bool = False,
    folders_by: str | None = None,
) -> str:
    """Write a table; a date-partitioned write replaces only the partitions frame holds.

    `folders_by` names a column to split the table into one folder per value (`column=value`),
    for readers that want one value's rows; such a write replaces the whole table.

    Crash-safe: Spark writes the whole result into a staging folder first (the long part), and
    only then is it swapped in by renames (the table folder, or each day folder) with the old
    copy moved to a trash folder until the swap is done. A process killed while Spark writes
    leaves the previous version untouched; one killed between two renames leaves a trash folder
    that `recover_table` (run first by the next write) moves back.
    """
    recover_table(lake, zone, table)
    run = uuid.uuid4().hex[:12]
    staging = posixpath.join(zone, STAGING, f"{table}-{run}")
    trash = posixpath.join(zone, TRASH, f"{table}-{run}")
    target = posixpath.join(zone, table)
    if partitioned:
        # One file per day keeps small daily partitions from fragmenting into many tiny files.
        # A fixed count keeps adaptive execution from coalescing to one task, so both cores
        # write day files.
        (
            frame.repartition(4, DATE_COLUMN)
            .write.mode("overwrite")
            .partitionBy(DATE_COLUMN)
            .parquet(lake.spark_uri(staging))
        )
        for day in (d for d in lake.list_dirs(staging) if d.startswith(f"{DATE_COLUMN}=")):
            if lake.list_keys(posixpath.join(target, day)):
                lake.move(posixpath.join(target, day), posixpath.join(trash, day))
            lake.move(posixpath.join(staging, day), posixpath.join(target, day))
        # A marker keeps the table folder in place even when no day had rows.
        lake.write_bytes(posixpath.join(target, SUCCESS), b"")
    else:
        writer = frame.write.mode("overwrite")
        if folders_by is not None:
            writer = writer.partitionBy(folders_by)
        writer.parquet(lake.spark_uri(staging))
        if lake.list_keys(target):
            lake.move(target, trash)
        lake.move(staging, target)
    lake.delete_tree(trash)
    lake.delete_tree(staging)
    return table_uri(lake, zone, table)


def recover_table(lake: LakeResource, zone: str, table: str) -> list[str]:
    """Finish what a killed write left: folders of the table in trash that are missing from the
    table go back (the previous version), then leftover staging and trash are deleted; returns
    what was restored."""
    restored = []
    target = posixpath.join(zone, table)
    for name in lake.list_dirs(posixpath.join(zone, TRASH)):
        if not name.startswith(f"{table}-"):
            continue
        trash = posixpath.join(zone, TRASH, name)
        days = [d for d in lake.list_dirs(trash) if d.startswith(f"{DATE_COLUMN}=")]
        if days:  # a partitioned write: day folders
            for day in days:
                if not lake.list_keys(posixpath.join(target, day)):
                    lake.move(posixpath.join(trash, day), posixpath.join(target, day))
                    restored.append(day)
        elif not lake.list_keys(target):
            lake.move(trash, target)
            restored.append(table)
        lake.delete_tree(trash)
    for name in lake.list_dirs(posixpath.join(zone, STAGING)):
        if name.startswith(f"{table}-"):
            lake.delete_tree(posixpath.join(zone, STAGING, name))
    return restored


def preview(frame: DataFrame, rows: int = 5) -> str:
    return markdown_table([r.asDict() for r in frame.limit(rows).collect()])


def has_data(
    lake: LakeResource, zone: str, table: str, date_range: tuple[dt.date, dt.date] | None = None
) -> bool:
    """Whether a table has Parquet files (inside date_range's partitions, when given)."""
    for key in lake.list_keys(posixpath.join(zone, table)):
        if not key.endswith(".parquet"):
            continue
        if date_range is None:
            return True
        part = next((p for p in key.split("/") if p.startswith(f"{DATE_COLUMN}=")), None)
        if part and date_range[0].isoformat() <= part.split("=", 1)[1] <= date_range[1].isoformat():
            return True
    return False


def write_with_metadata(
    spark: SparkSession,
    frame: DataFrame,
    lake: LakeResource,
    zone: str,
    table: str,
    date_range: tuple[dt.date, dt.date] | None = None,
    cache: bool = True,
    folders_by: str | None = None,
) -> dict:
    """Write a table (date-partitioned when date_range is given) and describe what was written.

    The frame is cached so that counting, previewing and writing compute it once; `cache=False`
    for a frame that is cheap to read again (a filter of a cached frame).
    """
    cached = frame.cache() if cache else frame
    rows = cached.count()
    head = preview(cached)
    uri = write_table(
        cached, lake, zone, table, partitioned=date_range is not None, folders_by=folders_by
    )
    if cache:
        cached.unpersist()
    metadata = {
        "dagster/row_count": rows,
        "uri": MetadataValue.path(uri),
        "preview": MetadataValue.md(head),
    }
    written_days = None
    if date_range is not None:
        metadata["dates"] = f"{date_range[0]} to {date_range[1]}"
        low, high = (f"{DATE_COLUMN}={d.isoformat()}" for d in date_range)

        def written_days(folder: str) -> bool:
            return low <= folder <= high

    # A partitioned write's version is that of the day folders it wrote.
    metadata[CONTENT_VERSION] = spark_table_version(
        lake, zone, table, written_days, allow_empty=True
    )
    return metadata


def written_line(table: str, metadata: dict, started: float) -> str:
    """'name: 1,234 rows in 5 s' for a table written by `write_with_metadata` since `started`
    (a `time.monotonic()` reading)."""
    return f"{table}: {metadata['dagster/row_count']:,} rows in {time.monotonic() - started:.0f} s"


def written(metadata: dict, asset_key=None, **extra) -> MaterializeResult:
    """The materialization of a written table, with its content version as the data version."""
    version = metadata[CONTENT_VERSION]
    return MaterializeResult(
        asset_key=asset_key, metadata={**metadata, **extra}, data_version=DataVersion(version)
    )
