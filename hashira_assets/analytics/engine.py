"""The query engine: DuckDB in-process over the lake's gold, feature and silver Parquet tables.

The tables are registered as views, then file access outside the lake is switched off and the
configuration locked, so no statement can read other files, attach databases, install extensions
or turn the settings back. Every query runs with a timeout (DuckDB is interrupted) and a row cap.

Remote lakes (s3://bucket/prefix) are read through an fsspec filesystem registered with DuckDB
(`register_filesystem`): DuckDB's own httpfs extension downloads on first use, which cannot
happen here.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from hashira_assets.table_docs import TABLES

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_ROW_CAP = 1000


class QueryError(RuntimeError):
    """A validated query failed in DuckDB, or ran past the timeout."""


@dataclasses.dataclass(frozen=True)
class QueryResult:
    """Column names, rows (tuples) and whether the row cap cut the result."""

    columns: list[str]
    rows: list[tuple]
    truncated: bool
    seconds: float


def _visible(relative_parts: Sequence[str]) -> bool:
    # Spark's staging and temporary folders (".spark-staging-*", "_temporary") are not the table.
    return not any(part.startswith((".", "_")) for part in relative_parts)


def table_files(root: str, zone: str, table: str, filesystem: Any = None) -> list[str]:
    """The table's Parquet files (URIs for a remote lake), staging folders skipped."""
    if filesystem is not None:
        protocol = _protocol(filesystem)
        base = f"{_strip_scheme(root)}/{zone}/{table}"
        found = filesystem.find(base) if filesystem.exists(base) else []
        return sorted(
            f"{protocol}://{path}"
            for path in found
            if path.endswith(".parquet") and _visible(path[len(base) :].strip("/").split("/"))
        )
    folder = Path(root) / zone / table
    return sorted(
        str(path)
        for path in folder.glob("**/*.parquet")
        if _visible(path.relative_to(folder).parts)
    )


def _protocol(filesystem: Any) -> str:
    protocol = filesystem.protocol
    return protocol if isinstance(protocol, str) else protocol[0]


def _strip_scheme(uri: str) -> str:
    return uri.split("://", 1)[1].rstrip("/") if "://" in uri else uri.rstrip("/")


def s3_filesystem(endpoint_url: str | None = None, region: str = "us-east-1") -> Any:
    """An fsspec filesystem for s3:// lakes over pyarrow's S3 client (credentials from the
    usual AWS environment variables), for DuckDB's register_filesystem."""
    from urllib.parse import urlparse

    import pyarrow.fs as pafs
    from fsspec.implementations.arrow import ArrowFSWrapper

    class S3Lake(ArrowFSWrapper):
        protocol = "s3"

    options: dict[str, Any] = {"region": region}
    if endpoint_url:
        parsed = urlparse(endpoint_url)
        options.update(endpoint_override=parsed.netloc, scheme=parsed.scheme or "https")
    return S3Lake(pafs.S3FileSystem(**options))


class AnalyticsEngine:
    """A locked-down DuckDB connection with one view per lake table found under lake_root."""

    def __init__(
        self,
        lake_root: str | Path,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        row_cap: int = DEFAULT_ROW_CAP,
        threads: int = 2,
        memory_limit: str = "1GB",
        filesystem: Any = None,
    ) -> None:
        """filesystem: an fsspec filesystem for a remote lake_root (e.g. `s3_filesystem()`)."""
        remote = "://" in str(lake_root)
        if remote and filesystem is None:
            raise ValueError(f"A remote lake ({lake_root}) needs an fsspec filesystem.")
        self.lake_root = str(lake_root).rstrip("/") if remote else str(Path(lake_root).resolve())
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        self._lock = threading.Lock()
        self._conn = duckdb.connect(
            ":memory:", config={"threads": threads, "memory_limit": memory_limit}
        )
        if filesystem is not None:
            self._conn.register_filesystem(filesystem)
            allowed = f"{_protocol(filesystem)}://{_strip_scheme(self.lake_root)}/"
        else:
            allowed = f"{self.lake_root}/"
        self.schema: dict[str, dict[str, str]] = {}
        for name, doc in TABLES.items():
            files = table_files(self.lake_root, doc.zone, name, filesystem)
            if not files:
                continue
            files = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            self._conn.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{files}], "
                "hive_partitioning = true, union_by_name = true)"
            )
            described = self._conn.execute(f"DESCRIBE {name}").fetchall()
            self.schema[name] = {row[0]: row[1] for row in described}
        # After this no statement can reach files outside the lake, nor change any setting.
        allowed = allowed.replace("'", "''")
        self._conn.execute(f"SET allowed_directories = ['{allowed}']")
        self._conn.execute("SET enable_external_access = false")
        self._conn.execute("SET lock_configuration = true")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> QueryResult:
        """Run one already validated statement with bound parameters; at most row_cap rows."""
        started = time.perf_counter()
        with self._lock:
            cursor = self._conn.cursor()
            timer = threading.Timer(self.timeout_s, cursor.interrupt)
            timer.start()
            try:
                cursor.execute(sql, list(params))
                columns = [d[0] for d in cursor.description or []]
                rows = cursor.fetchmany(self.row_cap + 1)
            except duckdb.InterruptException as error:
                raise QueryError(f"The query ran longer than {self.timeout_s:g} s.") from error
            except duckdb.Error as error:
                raise QueryError(f"The query failed: {str(error).splitlines()[0]}") from error
            finally:
                timer.cancel()
                cursor.close()
        truncated = len(rows) > self.row_cap
        return QueryResult(columns, rows[: self.row_cap], truncated, time.perf_counter() - started)

    def distinct_values(self, table: str, column: str, limit: int = 500) -> list[str]:
        """The distinct non-null text values of a column (for matching filter words)."""
        if table not in self.schema or column not in self.schema[table]:
            return []
        result = self.execute(
            f"SELECT DISTINCT CAST({column} AS VARCHAR) FROM {table} "
            f"WHERE {column} IS NOT NULL ORDER BY 1 LIMIT {int(limit)}"
        )
        return [row[0] for row in result.rows]

    def close(self) -> None:
        self._conn.close()
