"""Sign-in throttling: failed attempts per username and per client within a sliding window."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class SignInLimiter:
    """At most `attempts` failures per key in `window` seconds (a key may carry its own limit);
    a success clears that key."""

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def retry_after(self, keys: dict[str, int | None]) -> int | None:
        """Seconds to wait when any key is over its limit (None: the default), else None."""
        now = time.monotonic()
        with self._lock:
            waits = [
                self.window - (now - failures[0])
                for key, limit in keys.items()
                if len(failures := self._prune(key, now)) >= (limit or self.attempts)
            ]
        return max(1, int(max(waits)) + 1) if waits else None

    def failed(self, keys: list[str]) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._prune(key, now).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
