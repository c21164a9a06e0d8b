"""The stream consumer: applies shop events from the event bus to the online feature store.

One loop for both buses. Each batch is read through the consumer group and committed in one
atomic step (apply + acknowledge), so a consumer killed at any point loses nothing: what it read
but did not commit stays pending and is finished by itself after a restart (`redeliver`) or by
another consumer of the group once it has been idle for `claim_idle_ms` (re-claim).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import time

import numpy as np

from resources.event_bus import DEFAULT_GROUP, BusEvent, EventBus
from resources.online_features import OnlineFeatureStore

logger = logging.getLogger(__name__)


def default_consumer_name() -> str:
    """Unique per live process, so a restarted consumer never shares a name with a live one."""
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclasses.dataclass
class ConsumerSettings:
    """How one consumer reads: its group and name, batch size, waiting and re-claiming."""

    group: str = DEFAULT_GROUP
    consumer: str = dataclasses.field(default_factory=default_consumer_name)
    batch: int = 500
    block_ms: int = 1000
    claim_idle_ms: int = 30_000
    claim_every_s: float = 5.0
    max_events: int | None = None
    idle_exit_s: float | None = None
    progress_every_s: float = 10.0
    # Test hook: after reading this many events, hold the last batch uncommitted until stopped
    # (or killed), to exercise re-claiming deterministically.
    stall_after_reads: int | None = None


@dataclasses.dataclass
class ConsumerStats:
    """What a consumer did: events handled and applied, rate and publish-to-feature delays."""

    handled: int = 0
    applied: int = 0
    reclaimed: int = 0
    redelivered: int = 0
    batches: int = 0
    started: float | None = None  # monotonic time of the first event read
    finished: float | None = None  # monotonic time of the last commit
    delays_ms: list[float] = dataclasses.field(default_factory=list)

    def record(self, events: list[BusEvent], applied: int) -> None:
        committed_at = time.time()
        self.finished = time.monotonic()
        self.handled += len(events)
        self.applied += applied
        self.batches += 1
        self.delays_ms.extend(
            (committed_at - e.published_at) * 1000 for e in events if e.published_at is not None
        )

    def rate(self) -> float:
        """Events committed per second between the first read and the last commit."""
        if self.started is None or self.finished is None or self.finished <= self.started:
            return 0.0
        return self.handled / (self.finished - self.started)

    def summary(self) -> dict:
        delays = np.asarray(self.delays_ms)
        percentiles = (
            {f"delay_ms_p{q}": float(np.percentile(delays, q)) for q in (50, 90, 99)}
            if len(delays)
            else {}
        )
        return {
            "handled": self.handled,
            "applied": self.applied,
            "reclaimed": self.reclaimed,
            "redelivered": self.redelivered,
            "batches": self.batches,
            "seconds": (self.finished or 0.0) - (self.started or 0.0),
            "events_per_s": self.rate(),
            **percentiles,
        }


class _Batches:
    """Where the next batch comes from: this consumer's own pending events after a restart
    first, then events stalled consumers left (checked every claim_every_s), then new ones."""

    def __init__(self, bus: EventBus, settings: ConsumerSettings) -> None:
        self.bus, self.settings = bus, settings
        self.redelivering = True
        self.claim_cursor = "0-0"
        self.next_claim = 0.0

    def next(self) -> tuple[list[BusEvent], str]:
        bus, s = self.bus, self.settings
        if self.redelivering:
            events = bus.read(s.group, s.consumer, s.batch, 0, redeliver=True)
            self.redelivering = bool(events)
            if events:
                return events, "redelivered"
        now = time.monotonic()
        if self.claim_cursor != "0-0" or now >= self.next_claim:
            events, self.claim_cursor = bus.reclaim(
                s.group, s.consumer, s.claim_idle_ms, s.batch, self.claim_cursor
            )
            if self.claim_cursor == "0-0":
                self.next_claim = now + s.claim_every_s
            if events:
                return events, "reclaimed"
        return bus.read(s.group, s.consumer, s.batch, s.block_ms), "new"


def consume(
    bus: EventBus,
    store: OnlineFeatureStore,
    settings: ConsumerSettings,
    stop: threading.Event | None = None,
) -> ConsumerStats:
    """Apply events from the bus to the store until stopped, idle or max_events are handled."""
    stop = stop or threading.Event()
    stats = ConsumerStats()
    bus.ensure_group(settings.group)
    logger.info(
        "consumer %s of group %s on %s", settings.consumer, settings.group, type(bus).__name__
    )
    batches = _Batches(bus, settings)
    next_progress = time.monotonic() + settings.progress_every_s
    last_seen = time.monotonic()
    while not stop.is_set():
        events, source = batches.next()
        if not events:
            idle = time.monotonic() - last_seen
            if settings.idle_exit_s is not None and idle >= settings.idle_exit_s:
                logger.info("nothing to read for %.1fs; exiting", idle)
                break
            continue
        last_seen = time.monotonic()
        if stats.started is None:
            stats.started = last_seen
        if source == "reclaimed":
            stats.reclaimed += len(events)
            logger.info("re-claimed %d pending events of stalled consumers", len(events))
        elif source == "redelivered":
            stats.redelivered += len(events)
            logger.info("finishing %d events this consumer read before a restart", len(events))
        if settings.stall_after_reads is not None and (
            stats.handled + len(events) >= settings.stall_after_reads
        ):
            logger.warning("stalling with %d events read and not committed", len(events))
            stop.wait()
            break
        applied = bus.commit(settings.group, events, store)
        stats.record(events, applied)
        if settings.max_events is not None and stats.handled >= settings.max_events:
            break
        if time.monotonic() >= next_progress:
            next_progress = time.monotonic() + settings.progress_every_s
            logger.info(
                "%d events handled (%d applied, %.0f/s), backlog %d",
                stats.handled, stats.applied, stats.rate(), bus.backlog(settings.group),
            )  # fmt: skip
    logger.info(
        "stopped after %d events (%d applied, %d re-claimed)",
        stats.handled, stats.applied, stats.reclaimed,
    )  # fmt: skip
    return stats
