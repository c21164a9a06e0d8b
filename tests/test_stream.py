"""The event bus and the online feature store, on both buses: the app database table and the real
Redis server on loopback (a unique key prefix per test, deleted afterwards)."""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hashira_assets.stream_consumer import ConsumerSettings, consume
from hashira_cli.main import app
from resources.event_bus import (
    DEFAULT_GROUP,
    EventBus,
    RedisEventBus,
    TableEventBus,
    event_bus_from_env,
)
from resources.online_features import (
    RedisOnlineFeatureStore,
    TableOnlineFeatureStore,
    delete_redis_keys,
    online_store_from_env,
    redis_client,
)
from tests.support.background import background_process

REDIS_URL = "redis://127.0.0.1:6379/0"
HASHIRA = str(Path(sys.executable).with_name("hashira"))


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_server():
    """Fails (never skips) when Redis is down: `make test` starts it where it is installed."""
    if not redis_reachable():
        pytest.fail(f"no Redis server answers at {REDIS_URL}; start it (make services)")


needs_redis = pytest.mark.usefixtures("redis_server")


@pytest.fixture
def prefix():
    """A key prefix of this test alone; every key under it is deleted afterwards."""
    prefix = f"hashira-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    if redis_reachable():
        delete_redis_keys(REDIS_URL, prefix)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'app.db'}"


def make_bus(kind: str, db_url: str, prefix: str) -> EventBus:
    if kind == "redis":
        return RedisEventBus(url=REDIS_URL, prefix=prefix, app_db_url=db_url)
    return TableEventBus(app_db_url=db_url)


BUSES = [
    pytest.param("table", id="table"),
    pytest.param("redis", id="redis", marks=[pytest.mark.integration]),
]


@pytest.fixture(params=BUSES)
def bus(request, db_url, prefix) -> EventBus:
    if request.param == "redis":
        request.getfixturevalue("redis_server")
    return make_bus(request.param, db_url, prefix)


def shop_events(n: int, customers: int = 12, products: int = 40, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    return [
        {
            "session_id": rng.randrange(1000),
            "customer_id": rng.randrange(customers),
            "product_id": rng.randrange(products),
            # Mostly views, with the other types mixed in: only views enter the online store.
            "event_type": rng.choice(["view"] * 6 + ["cart", "purchase", "return"]),
            "price": round(rng.uniform(5, 500), 2),
            "quantity": 1,
        }
        for _ in range(n)
    ]


def expected_views(events: list[dict], ids: list[int], history: int = 10) -> dict[int, list]:
    """Per shopper, the newest `history` distinct viewed products by event id, newest first."""
    latest: dict[int, dict[int, int]] = defaultdict(dict)
    for event, event_id in zip(events, ids, strict=True):
        if event["event_type"] == "view":
            latest[event["customer_id"]][event["product_id"]] = event_id
    return {
        customer: sorted(seen, key=seen.__getitem__, reverse=True)[:history]
        for customer, seen in latest.items()
    }


def assert_store_holds(store, expected: dict[int, list], customers: int) -> None:
    for customer in range(customers):
        assert store.last_views(customer) == expected.get(customer, []), customer


def test_a_consumer_keeps_each_shoppers_last_ten_distinct_views(bus):
    events = shop_events(900)
    ids = bus.publish(events)
    assert ids == sorted(ids) and len(set(ids)) == len(ids) == 900
    store = bus.online_store()
    stats = consume(bus, store, ConsumerSettings(batch=128, max_events=900, idle_exit_s=5))
    assert (stats.handled, stats.applied) == (900, 900)
    assert_store_holds(store, expected_views(events, ids), customers=12)
    assert all(len(store.last_views(c)) == 10 for c in range(12))
    assert store.applied_count() == 900
    assert bus.backlog(DEFAULT_GROUP) == 0
    assert store.last_views(999) == []


def test_a_view_reaches_the_store_once_committed_and_not_before(bus):
    store = bus.online_store()
    bus.ensure_group(DEFAULT_GROUP)
    [event_id] = bus.publish([{"session_id": 1, "customer_id": 5, "product_id": 17,
                               "event_type": "view"}])  # fmt: skip
    [event] = bus.read(DEFAULT_GROUP, "a", 10, 1000)
    assert (event.event_id, event.customer_id, event.product_id) == (event_id, 5, 17)
    assert store.last_views(5) == []
    assert bus.commit(DEFAULT_GROUP, [event], store) == 1
    assert store.last_views(5) == [17]
    assert bus.read(DEFAULT_GROUP, "a", 10, 50) == []


def test_events_committed_twice_are_applied_once(bus):
    """A consumer that stalls past the claim timeout and then commits finds its events already
    committed by the one that took them over."""
    store = bus.online_store()
    bus.ensure_group(DEFAULT_GROUP)
    events = shop_events(300, seed=11)
    ids = bus.publish(events)
    stalled = bus.read(DEFAULT_GROUP, "stalled", 300, 1000)
    if isinstance(bus, RedisEventBus):
        taken, _ = bus.reclaim(DEFAULT_GROUP, "rescuer", 0, 300)
    else:
        taken = bus.read(DEFAULT_GROUP, "rescuer", 300, 1000)
    assert [e.event_id for e in taken] == [e.event_id for e in stalled] == ids
    assert bus.commit(DEFAULT_GROUP, taken, store) == 300
    assert bus.commit(DEFAULT_GROUP, stalled, store) == 0
    assert store.applied_count() == 300
    assert_store_holds(store, expected_views(events, ids), customers=12)
    assert bus.backlog(DEFAULT_GROUP) == 0


def test_applying_views_out_of_order_keeps_the_newest(bus):
    """Re-claimed events can be applied after newer ones; event ids, not arrival, decide."""
    store = bus.online_store()
    bus.ensure_group(DEFAULT_GROUP)
    events = [
        {"session_id": 1, "customer_id": 3, "product_id": p, "event_type": "view"}
        for p in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 2]
    ]
    ids = bus.publish(events)
    read = bus.read(DEFAULT_GROUP, "a", 100, 1000)
    if isinstance(bus, RedisEventBus):
        # The newest half first, then the oldest (the table bus commits in offset order only).
        assert bus.commit(DEFAULT_GROUP, read[6:], store) == 7
        assert bus.commit(DEFAULT_GROUP, read[:6], store) == 6
    else:
        assert bus.commit(DEFAULT_GROUP, read, store) == 13
    newest_first = [2, 12, 11, 10, 9, 8, 7, 6, 5, 4]
    assert store.last_views(3) == expected_views(events, ids)[3] == newest_first


@pytest.mark.integration
@needs_redis
def test_the_redis_bus_logs_each_event_in_the_app_database_first(db_url, prefix):
    bus = make_bus("redis", db_url, prefix)
    events = shop_events(50)
    ids = bus.publish(events)
    logged = bus.app_database().events_after(0)
    assert logged["event_id"].tolist() == ids
    assert logged["product_id"].tolist() == [e["product_id"] for e in events]
    entries = redis_client(REDIS_URL).xrange(bus.stream_key())
    carried = [json.loads(fields["event"]) for _, fields in entries]
    assert [e["event_id"] for e in carried] == ids
    assert [e["event_type"] for e in carried] == [e["event_type"] for e in events]
    assert [e["price"] for e in carried] == [e["price"] for e in events]
    assert all(float(fields["published_at"]) > 0 for _, fields in entries)


@pytest.mark.integration
@needs_redis
def test_a_consumer_restarted_under_its_name_finishes_its_own_pending_events(db_url, prefix):
    bus = make_bus("redis", db_url, prefix)
    store = bus.online_store()
    bus.ensure_group(DEFAULT_GROUP)
    events = shop_events(200, seed=3)
    ids = bus.publish(events)
    assert len(bus.read(DEFAULT_GROUP, "worker-1", 120, 1000)) == 120
    # Long claim timeout: only the consumer's own redelivery can finish the 120 events now.
    settings = ConsumerSettings(consumer="worker-1", claim_idle_ms=600_000, idle_exit_s=1)
    stats = consume(bus, store, settings)
    assert (stats.redelivered, stats.reclaimed, stats.handled) == (120, 0, 200)
    assert store.applied_count() == 200
    assert_store_holds(store, expected_views(events, ids), customers=12)


def test_the_environment_chooses_the_bus_and_its_store(monkeypatch, db_url, prefix):
    monkeypatch.delenv("HASHIRA_REDIS_URL", raising=False)
    assert isinstance(event_bus_from_env(), TableEventBus)
    assert isinstance(online_store_from_env(), TableOnlineFeatureStore)
    monkeypatch.setenv("HASHIRA_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("HASHIRA_REDIS_PREFIX", prefix)
    bus = event_bus_from_env()
    assert isinstance(bus, RedisEventBus) and bus.prefix == prefix
    store = online_store_from_env()
    assert isinstance(store, RedisOnlineFeatureStore) and store.prefix == prefix
    # Apply and acknowledge are one atomic step, so a bus only commits to its own store.
    with pytest.raises(TypeError):
        bus.commit(DEFAULT_GROUP, [], TableOnlineFeatureStore(app_db_url=db_url))
    with pytest.raises(TypeError):
        make_bus("table", db_url, prefix).commit(DEFAULT_GROUP, [], store)


def test_stream_consume_command_drains_the_table_bus(monkeypatch, db_url, tmp_path):
    monkeypatch.delenv("HASHIRA_REDIS_URL", raising=False)
    monkeypatch.setenv("HASHIRA_APP_DB_URL", db_url)
    events = shop_events(250)
    ids = TableEventBus().publish(events)
    stats_path = tmp_path / "stats.json"
    result = CliRunner().invoke(
        app,
        ["stream-consume", "--batch", "100", "--max-events", "250",
         "--stats-json", str(stats_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "250 events handled, 250 applied" in result.output
    stats = json.loads(stats_path.read_text())
    assert (stats["handled"], stats["batches"]) == (250, 3)
    assert_store_holds(TableOnlineFeatureStore(), expected_views(events, ids), customers=12)


def wait_for_line(path: Path, text: str, process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise AssertionError(f"consumer exited early:\n{path.read_text()}")
        time.sleep(0.1)
    raise TimeoutError(f"{text!r} not logged within {timeout:.0f}s:\n{path.read_text()}")


@pytest.mark.slow
def test_a_killed_consumer_loses_nothing_and_applies_each_event_once(
    bus, db_url, prefix, tmp_path, monkeypatch
):
    if isinstance(bus, RedisEventBus):
        monkeypatch.setenv("HASHIRA_REDIS_URL", REDIS_URL)
        monkeypatch.setenv("HASHIRA_REDIS_PREFIX", prefix)
    else:
        monkeypatch.delenv("HASHIRA_REDIS_URL", raising=False)
    monkeypatch.setenv("HASHIRA_APP_DB_URL", db_url)
    store = bus.online_store()
    bus.ensure_group(DEFAULT_GROUP)
    events = shop_events(3000, customers=60, products=80, seed=5)
    ids = bus.publish(events)
    common = ["stream-consume", "--batch", "500", "--claim-idle-ms", "200", "--block-ms", "200"]
    log_a = tmp_path / "consumer-a.log"
    # Consumer a commits two batches, reads a third and is killed before committing it.
    with background_process(
        [HASHIRA, *common, "--consumer", "a", "--stall-after-read", "1500"], log_a
    ) as consumer_a:
        wait_for_line(log_a, "stalling with 500 events read", consumer_a)
        assert store.applied_count() == 1000
        if isinstance(bus, RedisEventBus):
            pending = redis_client(REDIS_URL).xpending(bus.stream_key(), DEFAULT_GROUP)
            assert pending["pending"] == 500 and pending["consumers"] == [
                {"name": "a", "pending": 500}
            ]
        os.killpg(consumer_a.pid, signal.SIGKILL)
        consumer_a.wait(timeout=10)
    assert consumer_a.returncode == -signal.SIGKILL
    more = shop_events(1000, customers=60, products=80, seed=6)
    ids += bus.publish(more)
    log_b = tmp_path / "consumer-b.log"
    stats_b = tmp_path / "consumer-b.json"
    with background_process(
        [HASHIRA, *common, "--consumer", "b", "--idle-exit", "2", "--stats-json", str(stats_b)],
        log_b,
    ) as consumer_b:
        assert consumer_b.wait(timeout=120) == 0, log_b.read_text()
    stats = json.loads(stats_b.read_text())
    reclaimed = 500 if isinstance(bus, RedisEventBus) else 0
    assert (stats["handled"], stats["applied"], stats["reclaimed"]) == (3000, 3000, reclaimed)
    assert store.applied_count() == 4000
    assert bus.backlog(DEFAULT_GROUP) == 0
    assert_store_holds(store, expected_views(events + more, ids), customers=60)
