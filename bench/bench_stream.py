"""Benchmark the stream consumer on loopback Redis: sustained rate and event-to-feature delay.

Usage: python bench/bench_stream.py [--events 100000] [--runs 3] [--json bench/results/stream.json]

Each run starts `hashira stream-consume` in its own process (a fresh key prefix, deleted after),
then this process publishes through RedisEventBus.forward: events that already carry an event id
are XADDed in pipelined batches, so the figures measure the Redis path (bus + consumer + online
store) without the app database's SQL log; one extra run through RedisEventBus.publish (SQLite log
first) shows what the log costs the publisher. Two phases per run:

- sustained rate: N events published as fast as possible while the consumer runs; the consumer's
  events per second from its first read to its last commit.
- delay: events published at a steady --rate (events/s) for --seconds; per event, the time from
  its publish stamp (in the stream entry) to the commit that wrote the online feature, as p50/p99.

The table bus (the embedded default) is timed once on --table-events for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from resources.app_database import APP_EVENT_ID_BASE
from resources.event_bus import DEFAULT_GROUP, RedisEventBus, TableEventBus
from resources.online_features import delete_redis_keys, redis_client

HASHIRA = str(Path(sys.executable).with_name("hashira"))


def make_events(n: int, customers: int, products: int, seed: int, first_id: int = 1) -> list[dict]:
    rng = random.Random(seed)
    types = ["view"] * 8 + ["cart", "purchase"]
    return [
        {
            "event_id": APP_EVENT_ID_BASE + first_id + i,
            "session_id": rng.randrange(10**6),
            "customer_id": rng.randrange(customers),
            "product_id": rng.randrange(products),
            "event_type": rng.choice(types),
            "event_ts": "2026-01-01T00:00:00.000",
            "price": round(rng.uniform(5, 500), 2),
            "quantity": 1,
        }
        for i in range(n)
    ]


def start_consumer(env: dict, batch: int, max_events: int, stats: Path, log: Path):
    args = [HASHIRA, "stream-consume", "--consumer", "bench", "--batch", str(batch),
            "--max-events", str(max_events), "--stats-json", str(stats),
            "--block-ms", "100"]  # fmt: skip
    handle = open(log, "wb")  # noqa: SIM115 - closed after the process ends
    process = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while "consumer bench of group" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"consumer did not start:\n{log.read_text()}")
        time.sleep(0.05)
    return process, handle


def finish_consumer(process, handle, stats: Path, log: Path, timeout: float = 600) -> dict:
    try:
        code = process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()  # our own child, by its handle
            process.wait()
        handle.close()
    if code != 0:
        raise RuntimeError(f"consumer exited with {code}:\n{log.read_text()}")
    return json.loads(stats.read_text())


def redis_run(args, work: Path, run: int, phase: str, rate: float | None, with_log: bool) -> dict:
    """One consumer process against one publishing pattern; the consumer's figures."""
    prefix = f"hashira-bench-{uuid.uuid4().hex[:10]}:"
    db_url = f"sqlite:///{work / f'app-{phase}-{run}.db'}"
    bus = RedisEventBus(url=args.redis_url, prefix=prefix, app_db_url=db_url)
    env = {**os.environ, "HASHIRA_REDIS_URL": args.redis_url, "HASHIRA_REDIS_PREFIX": prefix,
           "HASHIRA_APP_DB_URL": db_url}  # fmt: skip
    n = args.events if rate is None else int(rate * args.seconds)
    if with_log:
        n = args.log_events
    events = make_events(n, args.customers, args.products, seed=run)
    stats, log = work / f"{phase}-{run}.json", work / f"{phase}-{run}.log"
    try:
        bus.ensure_group(DEFAULT_GROUP)
        process, handle = start_consumer(env, args.batch, n, stats, log)
        tick = time.perf_counter()
        if with_log:
            for i in range(0, n, args.publish_batch):
                bus.publish({k: v for k, v in e.items() if k != "event_id"}
                            for e in events[i : i + args.publish_batch])  # fmt: skip
        elif rate is None:
            for i in range(0, n, args.publish_batch):
                bus.forward(events[i : i + args.publish_batch])
        else:
            # Steady offered load: one small batch every 10 ms, on a fixed schedule.
            per_tick = max(1, round(rate / 100))
            start = time.perf_counter()
            for k, i in enumerate(range(0, n, per_tick)):
                delay = start + k / 100 - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                bus.forward(events[i : i + per_tick])
        publish_s = time.perf_counter() - tick
        result = finish_consumer(process, handle, stats, log)
        applied = bus.online_store().applied_count()
        if applied != n:
            raise RuntimeError(f"{phase} run {run}: {applied} events applied, expected {n}")
    finally:
        delete_redis_keys(args.redis_url, prefix)
    result["published"] = n
    result["publish_events_per_s"] = n / publish_s
    return result


def table_run(args, work: Path) -> dict:
    db_url = f"sqlite:///{work / 'app-table.db'}"
    bus = TableEventBus(app_db_url=db_url)
    events = make_events(args.table_events, args.customers, args.products, seed=99)
    bus.publish({k: v for k, v in e.items() if k != "event_id"} for e in events)
    env = {**os.environ, "HASHIRA_APP_DB_URL": db_url}
    env.pop("HASHIRA_REDIS_URL", None)
    stats, log = work / "table.json", work / "table.log"
    process, handle = start_consumer(env, args.batch, args.table_events, stats, log)
    result = finish_consumer(process, handle, stats, log)
    result["published"] = args.table_events
    return result


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500, help="Consumer batch (XREADGROUP).")
    parser.add_argument("--publish-batch", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=5_000, help="Offered load, events/s.")
    parser.add_argument("--seconds", type=float, default=10, help="Length of the delay phase.")
    parser.add_argument("--log-events", type=int, default=20_000)
    parser.add_argument("--table-events", type=int, default=20_000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--json", type=Path, default=Path("bench/results/stream.json"))
    args = parser.parse_args()

    load_before = os.getloadavg()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hashira-bench-stream-") as tmp:
        work = Path(tmp)
        sustained, delay = [], []
        for run in range(args.runs):
            sustained.append(redis_run(args, work, run, "sustained", None, False))
            print(f"run {run}: sustained {sustained[-1]['events_per_s']:,.0f} events/s", flush=True)
            delay.append(redis_run(args, work, run, "delay", args.rate, False))
            print(
                f"run {run}: at {args.rate:,.0f}/s delay p50 {delay[-1]['delay_ms_p50']:.1f} ms, "
                f"p99 {delay[-1]['delay_ms_p99']:.1f} ms",
                flush=True,
            )
        with_log = redis_run(args, work, 0, "with-sql-log", None, True)
        table = table_run(args, work) if args.table_events else None
    rate = median_of(sustained, "events_per_s")
    p50, p99 = median_of(delay, "delay_ms_p50"), median_of(delay, "delay_ms_p99")
    result = {
        "what": "Redis path: RedisEventBus.forward (XADD, no SQL log) -> consumer group -> "
        "Lua apply+ack into the online store; consumer in its own process",
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "redis": redis_client(args.redis_url).info("server")["redis_version"],
            "load_avg_1_5_15_before": load_before,
            "load_avg_1_5_15_after": os.getloadavg(),
        },
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "sustained_events_per_s_median": rate,
        "delay_at_offered_rate": {
            "events_per_s": args.rate,
            "p50_ms_median": p50,
            "p99_ms_median": p99,
        },
        "acceptance": {"at_least_5000_events_per_s": rate >= 5000, "p99_under_100_ms": p99 < 100},
        "runs": {"sustained": sustained, "delay": delay},
        "with_sql_log": with_log,
        "table_bus": table,
        "total_s": time.monotonic() - started,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(
        f"sustained {rate:,.0f} events/s (median of {args.runs}); at {args.rate:,.0f} events/s "
        f"delay p50 {p50:.1f} ms, p99 {p99:.1f} ms; with the SQL log the publisher manages "
        f"{with_log['publish_events_per_s']:,.0f}/s"
        + (f"; table bus {table['events_per_s']:,.0f} events/s" if table else "")
    )
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
