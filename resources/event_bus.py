"""The event bus: the real-time path of shop events, read by consumer groups.

The app database's `app_events` table stays the system of record (the lake's landing sensor reads
it by watermark); the bus only carries the same events to real-time consumers such as the online
feature store. Two implementations with one contract:

- `TableEventBus` (embedded default): `app_events` itself is the log; a consumer group is a
  committed event id in `bus_offsets`, advanced in the same transaction that applies the events.
- `RedisEventBus` (production): events are logged in the app database, then XADDed to a Redis
  stream with their event id. Consumers read through a consumer group (XREADGROUP), re-claim the
  pending entries of a dead consumer (XAUTOCLAIM) and acknowledge in the Lua script that applies
  the entries (resources/online_features.py), so each entry is applied once.

`event_bus_from_env()` picks Redis when HASHIRA_REDIS_URL is set.
"""

from __future__ import annotations

import abc
import dataclasses
import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from dagster import ConfigurableResource
from pydantic import Field

from resources.app_database import AppDatabaseResource, now_utc
from resources.app_tables import APP_EVENT_ID_BASE, app_events, bus_offsets
from resources.online_features import (
    DEFAULT_PREFIX,
    OnlineFeatureStore,
    RedisOnlineFeatureStore,
    TableOnlineFeatureStore,
    redis_client,
)

logger = logging.getLogger(__name__)

DEFAULT_GROUP = "online-features"
STREAM_NAME = "events"
# How often the table bus looks for new rows while a read blocks.
TABLE_POLL_SECONDS = 0.02


@dataclasses.dataclass(frozen=True, slots=True)
class BusEvent:
    """One shop event as a consumer receives it, with its position on the bus."""

    entry_id: str  # the Redis stream entry id, or the event id on the table bus
    event_id: int
    session_id: int
    customer_id: int
    product_id: int
    event_type: str
    event_ts: str
    price: float | None
    quantity: int
    published_at: float | None = None  # epoch seconds it was put on the stream (Redis only)


class EventBus(ConfigurableResource):
    """Publishes shop events and delivers them to consumer groups, each event applied once."""

    app_db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the app database (the system of record); None means its "
        "default (HASHIRA_APP_DB_URL or SQLite under HASHIRA_HOME).",
    )

    def app_database(self) -> AppDatabaseResource:
        return AppDatabaseResource(url=self.app_db_url)

    @abc.abstractmethod
    def publish(self, events: Iterable[dict]) -> list[int]:
        """Log shop events in the app database and put them on the bus; their event ids."""

    @abc.abstractmethod
    def ensure_group(self, group: str) -> None:
        """Create a consumer group that starts at the oldest retained event, if missing."""

    @abc.abstractmethod
    def read(
        self, group: str, consumer: str, count: int, block_ms: int, *, redeliver: bool = False
    ) -> list[BusEvent]:
        """Up to `count` events for this consumer, waiting up to block_ms for the first; with
        `redeliver`, the ones it was given before and has not committed (after a restart)."""

    @abc.abstractmethod
    def reclaim(
        self, group: str, consumer: str, min_idle_ms: int, count: int, start: str = "0-0"
    ) -> tuple[list[BusEvent], str]:
        """Take over events other consumers were given but left uncommitted for min_idle_ms;
        the events and the cursor to continue from ("0-0" once the scan is complete)."""

    @abc.abstractmethod
    def commit(self, group: str, events: Sequence[BusEvent], store: OnlineFeatureStore) -> int:
        """Apply events to the store and acknowledge them atomically; how many were applied
        (events another consumer already committed are skipped)."""

    @abc.abstractmethod
    def backlog(self, group: str) -> int:
        """Events on the bus the group has not committed yet."""

    @abc.abstractmethod
    def online_store(self) -> OnlineFeatureStore:
        """The online feature store that commits atomically with this bus."""


class TableEventBus(EventBus):
    """The app database's event table as the bus, with a committed offset per consumer group."""

    def publish(self, events: Iterable[dict]) -> list[int]:
        """Log shop events in the app database (which is the bus); their event ids."""
        return self.app_database().log_events(events)

    def ensure_group(self, group: str) -> None:
        """Create a consumer group that starts at the oldest event, if missing."""
        engine = self.app_database().engine()
        with engine.begin() as conn:
            exists = conn.execute(
                sa.select(bus_offsets.c.group_name).where(bus_offsets.c.group_name == group)
            ).first()
            if exists is None:
                conn.execute(
                    bus_offsets.insert().values(group_name=group, event_id=0, updated_at=now_utc())
                )

    def _offset(self, conn: sa.Connection, group: str) -> int:
        offset = conn.execute(
            sa.select(bus_offsets.c.event_id).where(bus_offsets.c.group_name == group)
        ).scalar()
        if offset is None:
            raise LookupError(f"no consumer group {group!r}; call ensure_group first")
        return int(offset)

    def read(
        self, group: str, consumer: str, count: int, block_ms: int, *, redeliver: bool = False
    ) -> list[BusEvent]:
        """Up to `count` events after the group's committed offset, polling up to block_ms.

        Nothing is owned by one consumer here: uncommitted events stay after the offset and a
        restarted consumer simply reads them again, so there is nothing to redeliver.
        """
        if redeliver:
            return []
        app_db = self.app_database()
        deadline = time.monotonic() + max(block_ms, 0) / 1000
        while True:
            with app_db.engine().connect() as conn:
                offset = self._offset(conn, group)
                query = (
                    sa.select(app_events)
                    .where(app_events.c.id > max(offset - APP_EVENT_ID_BASE, 0))
                    .order_by(app_events.c.id)
                    .limit(count)
                )
                rows = conn.execute(query).mappings().all()
            if rows or time.monotonic() >= deadline:
                return [_table_event(row) for row in rows]
            time.sleep(TABLE_POLL_SECONDS)

    def reclaim(
        self, group: str, consumer: str, min_idle_ms: int, count: int, start: str = "0-0"
    ) -> tuple[list[BusEvent], str]:
        """Nothing to take over: uncommitted events are read again by whichever consumer reads."""
        return [], "0-0"

    def commit(self, group: str, events: Sequence[BusEvent], store: OnlineFeatureStore) -> int:
        """Apply events and move the group's offset past them in one transaction; 0 if another
        consumer of the group committed them first."""
        if not isinstance(store, TableOnlineFeatureStore) or (
            store.app_database().resolved_url() != self.app_database().resolved_url()
        ):
            raise TypeError("the table bus commits only to the online tables of its own database")
        if not events:
            return 0
        with self.app_database().engine().begin() as conn:
            # Compare-and-set: the offset must still be below this batch, or someone else won.
            moved = conn.execute(
                bus_offsets.update()
                .where(
                    bus_offsets.c.group_name == group,
                    bus_offsets.c.event_id < events[0].event_id,
                )
                .values(event_id=events[-1].event_id, updated_at=now_utc())
            ).rowcount
            if moved == 0:
                return 0
            return store.apply_in(conn, events)

    def backlog(self, group: str) -> int:
        """App events after the group's committed offset."""
        with self.app_database().engine().connect() as conn:
            offset = self._offset(conn, group)
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(
                        app_events.c.id > max(offset - APP_EVENT_ID_BASE, 0)
                    )
                ).scalar()
                or 0
            )

    def online_store(self) -> OnlineFeatureStore:
        """The online tables in the same app database."""
        return TableOnlineFeatureStore(app_db_url=self.app_db_url)


class RedisEventBus(EventBus):
    """A Redis stream fed after the app database has logged each event."""

    url: str = Field(description="Redis URL, e.g. redis://127.0.0.1:6379/0.")
    prefix: str = Field(default=DEFAULT_PREFIX, description="Prefix of every key of the bus.")
    stream_maxlen: int = Field(
        default=1_000_000,
        description="Entries the stream keeps (approximately); the app database keeps them all.",
    )

    def stream_key(self) -> str:
        return f"{self.prefix}{STREAM_NAME}"

    def client(self) -> Any:
        return redis_client(self.url)

    def publish(self, events: Iterable[dict]) -> list[int]:
        """Log shop events in the app database, then XADD them with their event ids."""
        rows = self.app_database().record_events(events)
        self.forward(rows)
        return [row["event_id"] for row in rows]

    def forward(self, rows: Sequence[dict]) -> None:
        """XADD events that already carry an event_id (logged, or replayed from the app
        database) in one round trip, stamped with the publish time."""
        if not rows:
            return
        published_at = repr(time.time())
        pipe = self.client().pipeline(transaction=False)
        for row in rows:
            pipe.xadd(
                self.stream_key(),
                _entry_fields(row, published_at),
                maxlen=self.stream_maxlen,
                approximate=True,
            )
        pipe.execute()

    def ensure_group(self, group: str) -> None:
        """Create a consumer group that starts at the oldest retained entry, if missing."""
        import redis

        try:
            self.client().xgroup_create(self.stream_key(), group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def read(
        self, group: str, consumer: str, count: int, block_ms: int, *, redeliver: bool = False
    ) -> list[BusEvent]:
        """New entries for this consumer (XREADGROUP >), or with `redeliver` its own pending
        ones (XREADGROUP 0), which a consumer restarted under the same name must finish."""
        reply = self.client().xreadgroup(
            group,
            consumer,
            {self.stream_key(): "0" if redeliver else ">"},
            count=count,
            # BLOCK 0 would wait forever; pending entries are returned without waiting anyway.
            block=None if redeliver or block_ms <= 0 else block_ms,
        )
        if not reply:
            return []
        entries = reply[0][1]
        gone = [entry_id for entry_id, fields in entries if not fields]
        if gone:
            # Pending entries trimmed off the stream cannot be applied; stop redelivering them.
            logger.warning("%d pending entries were trimmed unapplied", len(gone))
            self.client().xack(self.stream_key(), group, *gone)
        return [_stream_event(entry_id, fields) for entry_id, fields in entries if fields]

    def reclaim(
        self, group: str, consumer: str, min_idle_ms: int, count: int, start: str = "0-0"
    ) -> tuple[list[BusEvent], str]:
        """XAUTOCLAIM entries idle for min_idle_ms (their consumer died or stalled)."""
        cursor, entries, *deleted = self.client().xautoclaim(
            self.stream_key(), group, consumer, min_idle_ms, start_id=start, count=count
        )
        if deleted and deleted[0]:
            # Trimmed off the stream while pending: still in the app database, gone from here.
            logger.warning("%d pending entries were trimmed unapplied", len(deleted[0]))
        events = [_stream_event(entry_id, fields) for entry_id, fields in entries if fields]
        return events, cursor

    def commit(self, group: str, events: Sequence[BusEvent], store: OnlineFeatureStore) -> int:
        """Apply entries and XACK them in one Lua script; entries already acknowledged by
        another consumer are skipped."""
        if not isinstance(store, RedisOnlineFeatureStore) or store.url != self.url:
            raise TypeError("the Redis bus commits only to an online store in the same Redis")
        return store.apply_and_ack(self.stream_key(), group, events)

    def backlog(self, group: str) -> int:
        """Entries delivered but not acknowledged, plus entries not yet delivered."""
        for info in self.client().xinfo_groups(self.stream_key()):
            if info["name"] == group:
                return int(info["pending"]) + int(info.get("lag") or 0)
        raise LookupError(f"no consumer group {group!r}; call ensure_group first")

    def online_store(self) -> OnlineFeatureStore:
        """The online store in the same Redis, under the same prefix."""
        return RedisOnlineFeatureStore(url=self.url, prefix=self.prefix)


def _table_event(row: Any) -> BusEvent:
    event_id = APP_EVENT_ID_BASE + int(row["id"])
    return BusEvent(
        entry_id=str(event_id),
        event_id=event_id,
        session_id=int(row["session_id"]),
        customer_id=int(row["customer_id"]),
        product_id=int(row["product_id"]),
        event_type=row["event_type"],
        event_ts=row["event_ts"],
        price=row["price"],
        quantity=int(row["quantity"]),
    )


def _entry_fields(row: dict, published_at: str) -> dict[str, str]:
    # One JSON field rather than one field per column: the consumer's reply parsing (per
    # element, in Python) is its main cost, and this cuts the elements per entry from 19 to 5.
    event = {
        "event_id": int(row["event_id"]),
        "session_id": int(row["session_id"]),
        "customer_id": int(row["customer_id"]),
        "product_id": int(row["product_id"]),
        "event_type": row["event_type"],
        "event_ts": str(row["event_ts"]),
        "price": None if row.get("price") is None else float(row["price"]),
        "quantity": int(row.get("quantity", 1)),
    }
    return {"event": json.dumps(event, separators=(",", ":")), "published_at": published_at}


def _stream_event(entry_id: str, fields: dict[str, str]) -> BusEvent:
    published_at = fields.get("published_at")
    return BusEvent(
        entry_id=entry_id,
        published_at=float(published_at) if published_at else None,
        **json.loads(fields["event"]),
    )


def event_bus_from_env() -> EventBus:
    """The Redis bus when HASHIRA_REDIS_URL is set, else the app database table."""
    url = os.environ.get("HASHIRA_REDIS_URL")
    if url:
        return RedisEventBus(
            url=url, prefix=os.environ.get("HASHIRA_REDIS_PREFIX") or DEFAULT_PREFIX
        )
    return TableEventBus()
