"""Dagster's local SQLite storage, with each database file's connection kept open in a process.

Dagster's SQLite event log opens a new engine and connection for every event it stores and
closes them after (closing a WAL database checkpoints it). A run over two years of daily
partitions stores one event per partition and asset: the `small` graph's gold step stored 4,380,
which took 89 of its 111 seconds (62-68 s with kept connections, beside the other steps); a bare
Dagster job storing as many took 59 s that way and 19 s with kept connections
(`bench/bench_dagster_events.py`, `bench/results/dagster_sqlite_events.json`). The kept
connections also write ahead with `synchronous=NORMAL`: the write-ahead log is synced at
checkpoints, not at every commit (a power cut can lose the last events, never the database's
consistency; 1.4-1.5x faster on 365 days in the same bench). The tables, files and locking are
Dagster's own; only the connection handling differs. PostgreSQL storage (`dagster_storage`) is
unaffected.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool


def _wal_without_fsync_per_commit(connection, _record) -> None:
    connection.execute("PRAGMA synchronous=NORMAL")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with one engine per database file and process, its connection
    kept open between events."""

    def __init__(self, base_dir: str, inst_data=None) -> None:
        super().__init__(base_dir, inst_data)
        # Keyed by process too: a forked child must never use its parent's open connection.
        self._engines: dict[tuple[int, str], Engine] = {}

    def _engine(self, shard: str) -> Engine:
        key = (os.getpid(), self.conn_string_for_shard(shard))
        engine = self._engines.get(key)
        if engine is None:
            engine = create_engine(
                key[1],
                poolclass=QueuePool,
                pool_size=1,
                max_overflow=2,
                # Threads share the connection one at a time: `_db_lock` is held while it is used.
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            event.listen(engine, "connect", _wal_without_fsync_per_commit)
            self._engines[key] = engine
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def close_connections(self) -> None:
        """Close every kept connection (before a database file is removed, and at disposal)."""
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def delete_events(self, run_id: str) -> None:
        self.close_connections()
        super().delete_events(run_id)

    def wipe(self) -> None:
        self.close_connections()
        super().wipe()

    def dispose(self) -> None:
        self.close_connections()
        super().dispose()


class PooledSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage under `base_dir` (runs, event logs, schedules in the usual
    places), with `PooledSqliteEventLogStorage` for the event logs."""

    def __init__(self, base_dir: str, inst_data=None) -> None:
        super().__init__(base_dir, inst_data)
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
