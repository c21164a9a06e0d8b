"""The parsed form of a question: intent, metric, dimensions, time window, filters and top-N."""

from __future__ import annotations

import dataclasses
import datetime as dt


@dataclasses.dataclass(frozen=True)
class Window:
    """An inclusive day range, or a half-open hour range; None bounds mean unbounded."""

    label: str
    start: dt.date | None = None
    end: dt.date | None = None
    start_ts: dt.datetime | None = None
    end_ts: dt.datetime | None = None

    @property
    def hourly(self) -> bool:
        return self.start_ts is not None

    def previous(self) -> Window:
        """The window of the same length just before this one (for "why did X change")."""
        if self.hourly:
            span = self.end_ts - self.start_ts
            hours = round(span.total_seconds() / 3600)
            return Window(
                f"the {hours} hour(s) before", start_ts=self.start_ts - span, end_ts=self.start_ts
            )
        days = (self.end - self.start).days + 1
        end = self.start - dt.timedelta(days=1)
        return Window(f"the {days} day(s) before", start=end - dt.timedelta(days=days - 1), end=end)


ALL_TIME = Window("all time")


@dataclasses.dataclass(frozen=True)
class QuerySpec:
    """metric x dimensions x window x filters x top-N, or one of the special intents."""

    intent: str  # "metric", "why" or "inactive"
    metric: str = "revenue"
    dimensions: tuple[str, ...] = ()
    window: Window = ALL_TIME
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    top_n: int | None = None
    ascending: bool = False
    inactive_days: int = 30
