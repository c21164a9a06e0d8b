"""Request-time caches: values re-read after a TTL, models loaded once per registry version.

Every key starts with HASHIRA_HOME, so one process can serve (or test) several homes. The locks
make the caches safe under the API's thread pool: a value is loaded once, not once per thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from hashira_serving.errors import ModelRefusedError
from resources import settings
from resources.mlflow_tracking import ModelIntegrityError

# A newly promoted champion or a re-built index is served within this many seconds
# (HASHIRA_VERSION_TTL overrides it, e.g. for a test that promotes a champion mid-run).
VERSION_TTL = float(os.environ.get("HASHIRA_VERSION_TTL", "30"))
# Materialized tables and files are re-read after this many seconds.
DATA_TTL = 60.0


def home_key() -> str:
    return str(settings.hashira_home())


class TTLCache:
    """Values by key, each re-loaded when older than `ttl` seconds (LRU beyond `max_entries`)."""

    def __init__(self, ttl: float, max_entries: int = 32) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._values: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.RLock()
        self._loading: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, loader: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._values.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                self._values.move_to_end(key)
                return hit[1]
            key_lock = self._loading.setdefault(key, threading.Lock())
        with key_lock:  # one loader per key; others wait for its result
            with self._lock:
                hit = self._values.get(key)
                if hit is not None and time.monotonic() - hit[0] < self.ttl:
                    return hit[1]
            try:
                value = loader()
            except ModelIntegrityError as exc:
                raise ModelRefusedError(str(exc)) from exc
            with self._lock:
                self._values[key] = (time.monotonic(), value)
                self._values.move_to_end(key)
                while len(self._values) > self.max_entries:
                    self._values.popitem(last=False)
            return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


_ALL: list[TTLCache] = []


def cache(ttl: float, max_entries: int = 32) -> TTLCache:
    """A cache that `clear_all` empties (tests use it between homes)."""
    made = TTLCache(ttl, max_entries)
    _ALL.append(made)
    return made


def forever(max_entries: int = 4) -> TTLCache:
    """A cache for things keyed by their version: a version's content never changes."""
    return cache(float("inf"), max_entries)


def clear_all() -> None:
    for made in _ALL:
        made.clear()
