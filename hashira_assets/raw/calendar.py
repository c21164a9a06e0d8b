"""The shop calendar: weekly and yearly seasonality, festival peaks and product promotions.

The calendar and the promotions run `FUTURE_DAYS` past the world's end, because forecasters may use
them as known future information (a shop plans its festivals and sales ahead).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pyarrow as pa

from hashira_assets.raw import vocabulary as voc
from hashira_assets.raw.world_config import WorldConfig

FUTURE_DAYS = 90
PROMO_LENGTH_DAYS = 7
# Share of the catalog that starts a promotion each week.
PROMO_WEEKLY_SHARE = 0.03


@dataclasses.dataclass
class ShopCalendar:
    """Per-day demand factors and festivals, from the world's start to FUTURE_DAYS past its end."""

    dates: list[dt.date]
    demand_factor: np.ndarray  # float64: weekly x yearly x festival
    festival: list[str | None]


@dataclasses.dataclass
class Promotions:
    """Promotions as parallel arrays, sorted by start day."""

    product_id: np.ndarray  # int32
    start_day: np.ndarray  # int32 offset from the world's start
    discount: np.ndarray  # float32 fraction off the list price

    def discounts_on(self, day: int, n_products: int) -> np.ndarray:
        """Discount of every product on one day (0 where none runs; overlaps take the larger)."""
        active = (self.start_day <= day) & (day < self.start_day + PROMO_LENGTH_DAYS)
        out = np.zeros(n_products, dtype=np.float32)
        np.maximum.at(out, self.product_id[active], self.discount[active])
        return out


def festival_on(date: dt.date) -> tuple[str | None, float]:
    """The festival running on a date and its demand multiplier (None, 1.0 on ordinary days)."""
    for name, month, day, length, factor in voc.FESTIVALS:
        first = dt.date(date.year, month, day)
        # A festival that starts late in December spills into the next January.
        for start in (first, dt.date(date.year - 1, month, day)):
            if 0 <= (date - start).days < length:
                return name, factor
    return None, 1.0


def yearly_factor(date: dt.date) -> float:
    """Smooth yearly cycle: busiest in mid-December, quietest in mid-June."""
    day_of_year = date.timetuple().tm_yday
    return 1.0 + 0.25 * np.cos(2 * np.pi * (day_of_year - 350) / 365.25)


def make_calendar(config: WorldConfig) -> ShopCalendar:
    """Demand factor and festival of every day from start to FUTURE_DAYS past the end."""
    dates = [config.start_date + dt.timedelta(days=i) for i in range(config.n_days + FUTURE_DAYS)]
    factors = np.empty(len(dates))
    festivals: list[str | None] = []
    for i, date in enumerate(dates):
        name, festival_factor = festival_on(date)
        festivals.append(name)
        factors[i] = voc.WEEKDAY_FACTORS[date.weekday()] * yearly_factor(date) * festival_factor
    return ShopCalendar(dates=dates, demand_factor=factors, festival=festivals)


def make_promotions(config: WorldConfig, rng: np.random.Generator) -> Promotions:
    """Weekly promotions on a random share of the catalog, 10-35% off for a week."""
    n_weeks = (config.n_days + FUTURE_DAYS) // 7
    per_week = max(1, round(config.n_products * PROMO_WEEKLY_SHARE))
    products = rng.integers(0, config.n_products, size=(n_weeks, per_week))
    starts = np.repeat(np.arange(n_weeks) * 7, per_week).reshape(n_weeks, per_week)
    discount = np.round(rng.uniform(0.10, 0.35, size=(n_weeks, per_week)), 2)
    return Promotions(
        product_id=products.ravel().astype(np.int32),
        start_day=starts.ravel().astype(np.int32),
        discount=discount.ravel().astype(np.float32),
    )


def calendar_table(calendar: ShopCalendar) -> pa.Table:
    """The observable calendar: dates, weekdays and festivals (not the hidden demand factors)."""
    return pa.table(
        {
            "date": pa.array(calendar.dates, type=pa.date32()),
            "weekday": [d.strftime("%A") for d in calendar.dates],
            "festival": pa.array(calendar.festival, type=pa.string()),
            "is_festival": [f is not None for f in calendar.festival],
        }
    )


def promotions_table(promotions: Promotions, config: WorldConfig) -> pa.Table:
    """The promotion plan as the shop publishes it."""
    start = np.datetime64(config.start_date, "D")
    start_dates = start + promotions.start_day.astype("timedelta64[D]")
    return pa.table(
        {
            "promotion_id": pa.array(np.arange(len(promotions.product_id), dtype=np.int32)),
            "product_id": pa.array(promotions.product_id),
            "start_date": pa.array(start_dates),
            "end_date": pa.array(start_dates + np.timedelta64(PROMO_LENGTH_DAYS - 1, "D")),
            "discount_pct": pa.array(np.round(promotions.discount * 100).astype(np.int16)),
        }
    )
