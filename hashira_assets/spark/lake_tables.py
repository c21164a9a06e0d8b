"""Reading and writing the lake's Parquet tables with Spark, by zone and table name."""

from __future__ import annotations

import datetime as dt
import posixpath

from dagster import MetadataValue
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from hashira_assets.metadata import markdown_table
from resources.lake import LakeResource

DATE_COLUMN = "event_date"


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
    frame: DataFrame, lake: LakeResource, zone: str, table: str, partitioned: bool = False
) -> str:
    """Write a table; a date-partitioned write replaces only the partitions frame holds."""
    uri = table_uri(lake, zone, table)
    if partitioned:
        # One file per day keeps small daily partitions from fragmenting into many tiny files.
        # A fixed count keeps adaptive execution from coalescing to one task, so both cores
        # write day files.
        (
            frame.repartition(4, DATE_COLUMN)
            .write.mode("overwrite")
            .partitionBy(DATE_COLUMN)
            .parquet(uri)
        )
    else:
        frame.write.mode("overwrite").parquet(uri)
    return uri


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
) -> dict:
    """Write a table (date-partitioned when date_range is given) and describe what was written."""
    # Cached so that counting, previewing and writing compute the frame once.
    cached = frame.cache()
    rows = cached.count()
    head = preview(cached)
    uri = write_table(cached, lake, zone, table, partitioned=date_range is not None)
    cached.unpersist()
    metadata = {
        "dagster/row_count": rows,
        "uri": MetadataValue.path(uri),
        "preview": MetadataValue.md(head),
    }
    if date_range is not None:
        metadata["dates"] = f"{date_range[0]} to {date_range[1]}"
    return metadata
