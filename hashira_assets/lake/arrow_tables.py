"""Reading the lake's Parquet tables without Spark, for models that train in one process.

Spark writes a table as a folder of Parquet parts, daily tables as `event_date=YYYY-MM-DD/`
sub-folders. The recommender and the forecaster read gold and silver tables into Arrow here: on
any lake backend (folder, HDFS, S3), with only the columns and days they need.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from resources.lake import LakeResource

DATE_COLUMN = "event_date"


class MissingLakeTableError(FileNotFoundError):
    """A table the caller needs has not been materialized yet; the message says which."""


def _partition_date(key: str) -> dt.date | None:
    for part in key.split("/"):
        if part.startswith(f"{DATE_COLUMN}="):
            return dt.date.fromisoformat(part.split("=", 1)[1])
    return None


def read_lake_table(
    lake: LakeResource,
    zone: str,
    table: str,
    columns: list[str] | None = None,
    date_range: tuple[dt.date, dt.date] | None = None,
) -> pa.Table:
    """One lake table as Arrow; a daily table gets its `event_date` column back from the folder
    names, and with date_range (inclusive) only those days' files are read."""
    parts = list(iter_lake_table(lake, zone, table, columns, date_range))
    if not parts:
        return empty_lake_table(lake, zone, table, columns)
    result = pa.concat_tables(parts, promote_options="permissive")
    if date_range is not None and DATE_COLUMN in result.column_names:
        in_range = pc.and_(
            pc.greater_equal(result[DATE_COLUMN], pa.scalar(date_range[0], pa.date32())),
            pc.less_equal(result[DATE_COLUMN], pa.scalar(date_range[1], pa.date32())),
        )
        result = result.filter(in_range)
    return result


def _parquet_keys(lake: LakeResource, zone: str, table: str) -> list[str]:
    # Sorted: daily folders (`event_date=YYYY-MM-DD`) come in date order on every backend.
    keys = sorted(k for k in lake.list_keys(posixpath.join(zone, table)) if k.endswith(".parquet"))
    if not keys:
        raise MissingLakeTableError(
            f"{lake.uri(posixpath.join(zone, table))} has no Parquet files; "
            f"materialize the `{table}` asset first"
        )
    return keys


def iter_lake_table(
    lake: LakeResource,
    zone: str,
    table: str,
    columns: list[str] | None = None,
    date_range: tuple[dt.date, dt.date] | None = None,
) -> Iterator[pa.Table]:
    """A lake table's Parquet files one at a time, daily folders in date order (each with its
    `event_date` column); with date_range, only the folders of those days. A caller that
    converts each part as it comes never holds the whole table in Arrow."""
    for key in _parquet_keys(lake, zone, table):
        day = _partition_date(key)
        if date_range is not None and day is not None and not date_range[0] <= day <= date_range[1]:
            continue
        wanted = [c for c in columns if c != DATE_COLUMN] if columns else None
        part = pq.read_table(io.BytesIO(lake.read_bytes(key)), columns=wanted)
        if day is not None and (columns is None or DATE_COLUMN in columns):
            part = part.append_column(DATE_COLUMN, pa.array([day] * part.num_rows, pa.date32()))
        yield part


def empty_lake_table(
    lake: LakeResource, zone: str, table: str, columns: list[str] | None = None
) -> pa.Table:
    """A table with the lake table's schema (and `event_date` if daily) and no rows."""
    key = _parquet_keys(lake, zone, table)[0]
    schema = pq.read_schema(io.BytesIO(lake.read_bytes(key)))
    fields = [f for f in schema if columns is None or f.name in columns]
    if _partition_date(key) is not None and (columns is None or DATE_COLUMN in columns):
        fields.append(pa.field(DATE_COLUMN, pa.date32()))
    return pa.schema(fields).empty_table()
