"""The same validated query on Spark SQL, for lakes that outgrow one machine.

sqlglot transpiles the guard's DuckDB SQL to Spark's dialect; each table the query may read is a
temporary view over the lake's Parquet (the same files DuckDB reads), and the question's literals
stay bound parameters."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from typing import Any

from hashira_assets.analytics.guard import to_spark_sql
from hashira_assets.analytics.semantic import table_docs


def table_uri(lake_root: str, zone: str, table: str) -> str:
    """A lake table's folder as Spark reads it (s3:// becomes s3a://)."""
    root = lake_root.replace("s3://", "s3a://", 1) if lake_root.startswith("s3://") else lake_root
    return posixpath.join(root, zone, table)


def register_views(spark: Any, lake_root: str, tables: Iterable[str]) -> list[str]:
    """A temporary view per documented table; the names registered."""
    docs = table_docs()
    registered = []
    for name in tables:
        doc = docs[name]
        frame = spark.read.option("basePath", table_uri(lake_root, doc.zone, name))
        frame.parquet(table_uri(lake_root, doc.zone, name)).createOrReplaceTempView(name)
        registered.append(name)
    return registered


def run_on_spark(
    spark: Any, lake_root: str, sql: str, params: Sequence = (), tables: Iterable[str] = ()
) -> tuple[list[str], list[tuple]]:
    """(columns, rows) of a query the guard accepted, run on Spark SQL over the lake."""
    register_views(spark, lake_root, tables)
    result = spark.sql(to_spark_sql(sql), args=list(params))
    return list(result.columns), [tuple(row) for row in result.collect()]
