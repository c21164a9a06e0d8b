"""Progress reporting for long work: a throttled reporter with elapsed time and an estimate."""

from __future__ import annotations

import time
from collections.abc import Callable


class ThrottledProgress:
    """Calls emit(message) at most every `every_seconds` per stage, and always at a stage's end."""

    def __init__(self, emit: Callable[[str], None], every_seconds: float = 5.0) -> None:
        self.emit = emit
        self.every_seconds = every_seconds
        self.started = time.monotonic()
        self.last: dict[str, float] = {}
        self.stage_started: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        first = self.stage_started.setdefault(stage, now)
        if done < total and now - self.last.get(stage, 0.0) < self.every_seconds:
            return
        self.last[stage] = now
        elapsed = now - first
        eta = ""
        if 0 < done < total and elapsed > 0:
            eta = f", about {elapsed / done * (total - done):.0f}s left"
        pct = 100.0 * done / total if total else 100.0
        self.emit(f"{stage}: {done:,}/{total:,} ({pct:.0f}%) after {elapsed:.0f}s{eta}")
