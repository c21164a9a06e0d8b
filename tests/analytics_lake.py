"""A hand-made lake for the analytics agent's tests: three products, four customers, two days.

Every figure the tests expect can be worked out by hand from the rows below.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

D30, D31 = dt.date(2026, 10, 30), dt.date(2026, 10, 31)


def _ts(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute)


PRODUCTS = {
    "product_id": [1, 2, 3],
    "name": ["Tide Katana", "Blush Haori", "Deep Nodachi"],
    "product_type": ["Katana", "Haori", "Nodachi"],
    "department": ["weapon", "accessory", "weapon"],
    "breathing_style": ["Water", "Love", "Water"],
    "rarity": ["rare", "common", "epic"],
    "price": [100.0, 10.0, 300.0],
}
CUSTOMERS = {
    "customer_id": [1, 2, 3, 4],
    "slayer_rank": ["Kanoe", "Mizunoe", "Kanoe", "Hinoe"],
    "region": ["Kanto", "Kansai", "Kanto", "Kyushu"],
}
# (session, customer, product, type, ts, quantity, revenue)
EVENTS = [
    (1, 1, 1, "view", _ts(D30, 10, 5), 1, 0.0),
    (1, 1, 1, "cart", _ts(D30, 10, 10), 1, 0.0),
    (1, 1, 1, "purchase", _ts(D30, 10, 15), 1, 100.0),
    (2, 2, 2, "view", _ts(D30, 11, 0), 1, 0.0),
    (2, 2, 2, "purchase", _ts(D30, 11, 5), 2, 20.0),
    (3, 1, 3, "purchase", _ts(D31, 20, 30), 1, 300.0),
    (4, 2, 2, "return", _ts(D31, 21, 0), 1, -10.0),
    (5, 2, 1, "view", _ts(D31, 21, 10), 1, 0.0),
]
SALES = ("units", "revenue", "orders", "buyers", "returned_units")


def _write(root: Path, zone: str, table: str, columns: dict, by_date: bool = False) -> None:
    folder = root / zone / table
    if not by_date:
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(columns), folder / "part-00000.parquet")
        return
    days = sorted(set(columns["event_date"]))
    for day in days:
        keep = [i for i, d in enumerate(columns["event_date"]) if d == day]
        part = {k: [v[i] for i in keep] for k, v in columns.items() if k != "event_date"}
        target = folder / f"event_date={day.isoformat()}"
        target.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(part), target / "part-00000.parquet")


def write_lake(root: Path) -> Path:
    """Write the hand-made lake under root and return root."""
    _write(root, "silver", "products", PRODUCTS)
    _write(root, "silver", "customers", CUSTOMERS)
    session, customer, product, kind, ts, qty, revenue = (
        list(c) for c in zip(*EVENTS, strict=True)
    )
    _write(root, "silver", "interaction_events", {
        "event_id": list(range(1, len(EVENTS) + 1)), "session_id": session,
        "customer_id": customer, "product_id": product, "event_type": kind, "event_ts": ts,
        "quantity": qty, "revenue": revenue, "event_date": [t.date() for t in ts],
    }, by_date=True)  # fmt: skip
    _write(root, "gold", "daily_total_sales", {
        "event_date": [D30, D31], "units": [3, 1], "revenue": [120.0, 300.0], "orders": [2, 1],
        "buyers": [2, 1], "returned_units": [0, 1],
    }, by_date=True)  # fmt: skip
    _write(root, "gold", "daily_category_sales", {
        "event_date": [D30, D30, D31, D31], "category": ["Katana", "Haori", "Nodachi", "Haori"],
        "units": [1, 2, 1, 0], "revenue": [100.0, 20.0, 300.0, 0.0], "orders": [1, 1, 1, 0],
        "buyers": [1, 1, 1, 0], "returned_units": [0, 0, 0, 1],
    }, by_date=True)  # fmt: skip
    _write(root, "gold", "hourly_revenue", {
        "event_date": [D30, D30, D31], "hour": [10, 11, 20], "revenue": [100.0, 20.0, 300.0],
        "orders": [1, 1, 1],
    }, by_date=True)  # fmt: skip
    _write(root, "gold", "daily_funnel", {
        "event_date": [D30, D31], "view_sessions": [2, 1], "cart_sessions": [1, 0],
        "purchase_sessions": [2, 1], "view_to_cart_rate": [0.5, 0.0],
        "cart_to_purchase_rate": [2.0, None],
    }, by_date=True)  # fmt: skip
    _write(root, "features", "user_features", {
        "customer_id": [1, 2, 3, 4], "days_since_last_event": [0, 0, 45, None],
        "days_since_last_purchase": [0, 1, 50, None], "orders": [2, 1, 1, 0],
        "monetary": [400.0, 10.0, 30.0, 0.0],
    })  # fmt: skip
    # A Spark job's leftover staging file is not part of the table.
    staging = root / "gold" / "daily_total_sales" / ".spark-staging-1" / "event_date=2026-10-31"
    staging.mkdir(parents=True)
    pq.write_table(pa.table({"units": [1], "revenue": [1e9], "orders": [1], "buyers": [1],
                             "returned_units": [0]}), staging / "part-00000.parquet")  # fmt: skip
    return root


@pytest.fixture(scope="session")
def analytics_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made lake (read-only for tests)."""
    return write_lake(tmp_path_factory.mktemp("analytics") / "lake")
