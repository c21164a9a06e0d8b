"""The online feature store: each shopper's last viewed products, newest first, for requests.

Two implementations with one contract: Redis (a sorted set per shopper under a key prefix) in
production, and tables of the app database in the embedded default. Both keep, per shopper, the
latest view event id of each product and only the newest `history` products, so applying an event
twice, or applying events out of order, gives the same result. Events are written by the stream
consumer through the event bus (resources/event_bus.py), which acknowledges them in the same
atomic step; the request-time recommender only reads.
"""

from __future__ import annotations

import abc
import functools
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from dagster import ConfigurableResource
from pydantic import Field

from resources.app_database import AppDatabaseResource
from resources.app_tables import online_counters, online_views

if TYPE_CHECKING:
    from resources.event_bus import BusEvent

VIEW = "view"
VIEW_HISTORY = 10
DEFAULT_PREFIX = "hashira:"
APPLIED_COUNTER = "applied_events"
# Online views only feed the recommender's recent-view candidates, which look back 30 days.
VIEW_TTL_SECONDS = 30 * 24 * 3600


@functools.cache
def redis_client(url: str) -> Any:
    """One client (with its connection pool) per Redis URL and process."""
    import redis

    return redis.Redis.from_url(url, decode_responses=True)


def delete_redis_keys(url: str, prefix: str) -> int:
    """Delete every key under a prefix (tests and benchmarks clean up their own); the count."""
    if not prefix or prefix == "*":
        raise ValueError("refusing to delete keys without a specific prefix")
    client = redis_client(url)
    deleted = 0
    batch: list[str] = []
    for key in client.scan_iter(match=f"{_glob_escape(prefix)}*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            deleted += client.unlink(*batch)
            batch.clear()
    if batch:
        deleted += client.unlink(*batch)
    return deleted


def _glob_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


class OnlineFeatureStore(ConfigurableResource):
    """Shoppers' last viewed products, updated from the event bus and read at request time."""

    history: int = Field(default=VIEW_HISTORY, description="Viewed products kept per shopper.")

    @abc.abstractmethod
    def last_views(self, customer_id: int) -> list[int]:
        """The shopper's most recently viewed distinct products, newest first."""

    @abc.abstractmethod
    def applied_count(self) -> int:
        """How many bus events the store has applied (each counted once)."""


class RedisOnlineFeatureStore(OnlineFeatureStore):
    """A sorted set per shopper (product -> latest view event id) in Redis."""

    url: str = Field(description="Redis URL, e.g. redis://127.0.0.1:6379/0.")
    prefix: str = Field(default=DEFAULT_PREFIX, description="Prefix of every key of the store.")
    view_ttl_seconds: int = Field(
        default=VIEW_TTL_SECONDS, description="A shopper's views expire after this long unused."
    )

    def views_key(self, customer_id: int) -> str:
        return f"{self.prefix}views:{int(customer_id)}"

    def counter_key(self) -> str:
        return f"{self.prefix}{APPLIED_COUNTER}"

    def client(self) -> Any:
        return redis_client(self.url)

    def last_views(self, customer_id: int) -> list[int]:
        """The shopper's most recently viewed distinct products, newest first."""
        members = self.client().zrevrange(self.views_key(customer_id), 0, self.history - 1)
        return [int(m) for m in members]

    def applied_count(self) -> int:
        """How many bus events the store has applied (each counted once)."""
        return int(self.client().get(self.counter_key()) or 0)

    def apply_and_ack(self, stream_key: str, group: str, events: Sequence[BusEvent]) -> int:
        """Apply stream entries and acknowledge them in one Lua script; how many were new.

        An entry counts only if its XACK succeeds, so one that another consumer has already
        acknowledged (after re-claiming it from a stalled consumer) is not applied twice; and
        since the script is atomic, a crash leaves an entry either applied and acknowledged or
        neither, in which case it stays pending and is re-claimed.
        """
        if not events:
            return 0
        keys = [stream_key, self.counter_key()]
        args: list[Any] = [group, self.history, self.view_ttl_seconds]
        for event in events:
            keys.append(self.views_key(event.customer_id))
            product = event.product_id if event.event_type == VIEW else ""
            args.extend((event.entry_id, event.event_id, product))
        return int(_apply_script(self.url)(keys=keys, args=args))


# KEYS: the stream, the applied counter, then the views key of each entry.
# ARGV: group, history, ttl, then per entry: entry id, event id, product id ('' if not a view).
# Scores are event ids, so ZADD GT keeps each product's latest view whatever the apply order.
APPLY_AND_ACK_LUA = """
local group, history, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local applied = 0
local touched = {}
for i = 1, #KEYS - 2 do
  local a = 4 + (i - 1) * 3
  if redis.call('XACK', KEYS[1], group, ARGV[a]) == 1 then
    applied = applied + 1
    if ARGV[a + 2] ~= '' then
      local key = KEYS[i + 2]
      redis.call('ZADD', key, 'GT', ARGV[a + 1], ARGV[a + 2])
      touched[key] = true
    end
  end
end
for key in pairs(touched) do
  redis.call('ZREMRANGEBYRANK', key, 0, -(history + 1))
  redis.call('EXPIRE', key, ttl)
end
if applied > 0 then
  redis.call('INCRBY', KEYS[2], applied)
end
return applied
"""


@functools.cache
def _apply_script(url: str) -> Any:
    return redis_client(url).register_script(APPLY_AND_ACK_LUA)


class TableOnlineFeatureStore(OnlineFeatureStore):
    """Each shopper's latest view per product in the app database (the embedded default)."""

    app_db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the app database; None means its default (SQLite).",
    )

    def app_database(self) -> AppDatabaseResource:
        return _app_database(self.app_db_url)

    def last_views(self, customer_id: int) -> list[int]:
        """The shopper's most recently viewed distinct products, newest first."""
        query = (
            sa.select(online_views.c.product_id)
            .where(online_views.c.customer_id == int(customer_id))
            .order_by(online_views.c.event_id.desc())
            .limit(self.history)
        )
        with self.app_database().engine().connect() as conn:
            return [int(p) for p in conn.execute(query).scalars()]

    def applied_count(self) -> int:
        """How many bus events the store has applied (each counted once)."""
        query = sa.select(online_counters.c.value).where(online_counters.c.name == APPLIED_COUNTER)
        with self.app_database().engine().connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def apply_in(self, conn: sa.Connection, events: Sequence[BusEvent]) -> int:
        """Apply events inside the caller's transaction (the one that commits the bus offset)."""
        if not events:
            return 0
        latest: dict[tuple[int, int], int] = {}
        for event in events:
            if event.event_type == VIEW:
                key = (event.customer_id, event.product_id)
                latest[key] = max(latest.get(key, 0), event.event_id)
        if latest:
            rows = [
                {"customer_id": c, "product_id": p, "event_id": e} for (c, p), e in latest.items()
            ]
            insert = _dialect_insert(conn)(online_views).values(rows)
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["customer_id", "product_id"],
                    set_={"event_id": insert.excluded.event_id},
                    where=online_views.c.event_id < insert.excluded.event_id,
                )
            )
            self._trim(conn, sorted({c for c, _ in latest}))
        counter = _dialect_insert(conn)(online_counters).values(
            name=APPLIED_COUNTER, value=len(events)
        )
        conn.execute(
            counter.on_conflict_do_update(
                index_elements=["name"], set_={"value": online_counters.c.value + len(events)}
            )
        )
        return len(events)

    def _trim(self, conn: sa.Connection, customers: list[int]) -> None:
        """Drop all but each shopper's newest `history` products, in one statement per batch."""
        ranked = (
            sa.select(
                online_views.c.customer_id,
                online_views.c.product_id,
                sa.func.row_number()
                .over(partition_by=online_views.c.customer_id,
                      order_by=online_views.c.event_id.desc())
                .label("newness"),
            )
            .where(online_views.c.customer_id.in_(customers))
            .subquery()
        )  # fmt: skip
        stale = sa.select(ranked.c.customer_id, ranked.c.product_id).where(
            ranked.c.newness > self.history
        )
        key = sa.tuple_(online_views.c.customer_id, online_views.c.product_id)
        conn.execute(online_views.delete().where(key.in_(stale)))


@functools.lru_cache(maxsize=16)
def _app_database(url: str | None) -> AppDatabaseResource:
    # Building a resource validates its config; a request-time lookup should not pay for it.
    return AppDatabaseResource(url=url)


def _dialect_insert(conn: sa.Connection) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise NotImplementedError(f"no upsert for the {conn.dialect.name} app database")
    return insert


def online_store_from_env() -> OnlineFeatureStore:
    """Redis when HASHIRA_REDIS_URL is set, else the app database."""
    url = os.environ.get("HASHIRA_REDIS_URL")
    if url:
        return RedisOnlineFeatureStore(
            url=url, prefix=os.environ.get("HASHIRA_REDIS_PREFIX") or DEFAULT_PREFIX
        )
    return TableOnlineFeatureStore()
