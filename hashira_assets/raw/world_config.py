"""Presets and validated configuration of the synthetic HashiraMart world."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

# The last EVAL_DAYS days are the recommender's evaluation window, the last DEMAND_DAYS days the
# forecaster's; the generator writes oracle answers for exactly these windows.
EVAL_DAYS = 7
DEMAND_DAYS = 28


class WorldConfigError(ValueError):
    """A world configuration that cannot be generated; raised before anything is written."""


@dataclasses.dataclass(frozen=True)
class WorldConfig:
    """Sizes, time span and seed of one generated world."""

    preset: str
    n_customers: int
    n_products: int
    n_events: int
    n_conversations: int
    start_date: dt.date
    end_date: dt.date
    seed: int = 42
    # Share of purchases among all events; high for purchase-log presets such as `hm`.
    purchase_heavy: bool = False
    # Cap on customers the oracle ranks products for (all evaluated customers when None).
    max_oracle_customers: int | None = None
    # Share of event rows written with a fault (fault injection for the quality gates).
    corrupt_rate: float = 0.0

    @property
    def n_days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def eval_start(self) -> dt.date:
        return self.end_date - dt.timedelta(days=EVAL_DAYS - 1)

    @property
    def demand_start(self) -> dt.date:
        return self.end_date - dt.timedelta(days=DEMAND_DAYS - 1)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["start_date"] = self.start_date.isoformat()
        data["end_date"] = self.end_date.isoformat()
        return data


_END = dt.date(2026, 10, 31)

PRESETS: dict[str, dict[str, Any]] = {
    "tiny": dict(
        n_customers=500,
        n_products=200,
        n_events=20_000,
        # Few: the tests summarize every one with the real fine-tuned model.
        n_conversations=60,
        start_date=_END - dt.timedelta(days=119),
    ),
    "small": dict(
        n_customers=5_000,
        n_products=1_000,
        n_events=300_000,
        n_conversations=1_000,
        start_date=_END - dt.timedelta(days=729),
    ),
    "medium": dict(
        n_customers=50_000,
        n_products=10_000,
        n_events=5_000_000,
        n_conversations=5_000,
        start_date=_END - dt.timedelta(days=729),
    ),
    # The scale of the H&M personalized-fashion data set: 31.8M purchases, views and carts on top.
    "hm": dict(
        n_customers=1_370_000,
        n_products=105_000,
        n_events=60_000_000,
        n_conversations=50_000,
        start_date=_END - dt.timedelta(days=729),
        purchase_heavy=True,
        max_oracle_customers=50_000,
    ),
}


def make_config(preset: str = "tiny", **overrides: Any) -> WorldConfig:
    """Build a validated config from a preset name and optional overrides (None means keep)."""
    if preset not in PRESETS:
        raise WorldConfigError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    values: dict[str, Any] = {"preset": preset, "end_date": _END, **PRESETS[preset]}
    for key, value in overrides.items():
        if value is None:
            continue
        if key not in {f.name for f in dataclasses.fields(WorldConfig)}:
            raise WorldConfigError(f"unknown setting {key!r}")
        if key in ("start_date", "end_date") and isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError as exc:
                raise WorldConfigError(f"{key} must be YYYY-MM-DD, got {value!r}") from exc
        values[key] = value
    if "start_date" not in overrides and "end_date" in overrides and overrides["end_date"]:
        # Keep the preset's span when only the end moves.
        span = PRESETS[preset]["start_date"] - _END
        values["start_date"] = values["end_date"] + span
    config = WorldConfig(**values)
    validate_config(config)
    return config


def validate_config(config: WorldConfig) -> None:
    """Refuse sizes and dates the generator cannot honour, with a message that says why."""
    problems: list[str] = []
    for name in ("n_customers", "n_products", "n_events", "n_conversations"):
        value = getattr(config, name)
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{name} must be a whole number, got {value!r}")
        elif value < 0:
            problems.append(f"{name} must not be negative, got {value}")
    if not problems:
        if config.n_customers < 10:
            problems.append(f"n_customers must be at least 10, got {config.n_customers}")
        if config.n_products < 20:
            problems.append(f"n_products must be at least 20, got {config.n_products}")
        if config.n_events < 100:
            problems.append(f"n_events must be at least 100, got {config.n_events}")
    if config.end_date < config.start_date:
        problems.append(f"end_date {config.end_date} is before start_date {config.start_date}")
    elif config.n_days < 4 * 7:
        problems.append(f"the world must span at least 28 days, got {config.n_days}")
    if not 0.0 <= config.corrupt_rate <= 0.5:
        problems.append(f"corrupt_rate must be between 0 and 0.5, got {config.corrupt_rate}")
    if not isinstance(config.seed, int) or config.seed < 0:
        problems.append(f"seed must be a non-negative whole number, got {config.seed!r}")
    if problems:
        raise WorldConfigError("; ".join(problems))
