"""Gold tables and feature tables on hand-made silver events, with exact expected values."""

import datetime as dt

import pytest

from hashira_assets.features import tables as features
from hashira_assets.gold import tables as gold

pytestmark = pytest.mark.integration

D1, D2 = dt.date(2026, 10, 1), dt.date(2026, 10, 2)
SCHEMA = (
    "event_id long, session_id long, customer_id int, product_id int, event_type string, "
    "event_ts timestamp, price double, quantity int, revenue double, event_date date"
)


def _event(eid, session, customer, product, kind, day, hour, price=10.0, qty=1):
    sign = {"purchase": 1.0, "return": -1.0}.get(kind, 0.0)
    ts = dt.datetime.combine(day, dt.time(hour, eid % 60))
    return (eid, session, customer, product, kind, ts, price, qty, sign * price * qty, day)


@pytest.fixture(scope="module")
def events(spark):
    rows = [
        _event(1, 100, 1, 5, "view", D1, 9),
        _event(2, 100, 1, 5, "cart", D1, 9),
        _event(3, 100, 1, 5, "purchase", D1, 9, price=10.0, qty=2),
        _event(4, 100, 1, 6, "view", D1, 9),
        _event(5, 101, 2, 6, "view", D1, 20),
        _event(6, 101, 2, 6, "cart", D1, 20),
        _event(7, 102, 2, 5, "view", D2, 21),
        _event(8, 102, 2, 5, "purchase", D2, 21, price=12.0),
        _event(9, 103, 1, 5, "return", D2, 8, price=10.0),
        _event(10, 104, 2, 6, "purchase", D2, 21, price=30.0),
    ]
    return spark.createDataFrame(rows, SCHEMA)


@pytest.fixture(scope="module")
def products(spark):
    return spark.createDataFrame(
        [(5, "Katana", "weapon", "Water", "common", 1.2, 60, 10.0, 3, D1),
         (6, "Whetstone", "accessory", "Mist", "rare", 0.4, 0, 30.0, 9, D1)],
        "product_id int, product_type string, department string, breathing_style string, "
        "rarity string, weight_kg double, sharpness int, price double, stock int, launch_date date",
    )  # fmt: skip


@pytest.fixture(scope="module")
def customers(spark):
    return spark.createDataFrame(
        [(1, "Water", 10, 0.5, 0.5, 0.5, "Kanto", D1),
         (2, "Mist", 30, 0.6, 0.4, 0.7, "Kansai", D1)],
        "customer_id int, breathing_style string, level int, strength double, dexterity double, "
        "stamina double, region string, signup_date date",
    )  # fmt: skip


def _rows(frame, *keys):
    return {tuple(r[k] for k in keys): r.asDict() for r in frame.collect()}


def test_daily_product_sales(events):
    rows = _rows(gold.daily_product_sales(events), "event_date", "product_id")
    assert rows[(D1, 5)] | {} == {"event_date": D1, "product_id": 5, "units": 2, "revenue": 20.0,
                                  "orders": 1, "buyers": 1, "returned_units": 0}  # fmt: skip
    assert (rows[(D2, 5)]["units"], rows[(D2, 5)]["revenue"], rows[(D2, 5)]["returned_units"]) == (
        1, 12.0, 1)  # fmt: skip
    assert (D1, 6) not in rows  # no sale, no row


def test_category_and_total_sales(events, products):
    categories = _rows(gold.daily_category_sales(events, products), "event_date", "category")
    assert categories[(D2, "Whetstone")]["revenue"] == 30.0
    totals = _rows(gold.daily_total_sales(events), "event_date")
    assert (totals[(D2,)]["units"], totals[(D2,)]["revenue"], totals[(D2,)]["orders"]) == (
        2,
        42.0,
        2,
    )


def test_hourly_revenue_and_active_users(events):
    hourly = _rows(gold.hourly_revenue(events), "event_date", "hour")
    assert hourly[(D2, 21)] | {} == {"event_date": D2, "hour": 21, "revenue": 42.0, "orders": 2}
    active = _rows(gold.daily_active_users(events), "event_date")
    assert (active[(D1,)]["active_users"], active[(D1,)]["buyers"], active[(D1,)]["sessions"]) == (
        2, 1, 2)  # fmt: skip


def test_daily_funnel(events):
    funnel = _rows(gold.daily_funnel(events), "event_date")[(D1,)]
    assert (funnel["view_sessions"], funnel["cart_sessions"], funnel["purchase_sessions"]) == (
        2,
        2,
        1,
    )
    assert (funnel["view_to_cart_rate"], funnel["cart_to_purchase_rate"]) == (1.0, 0.5)


def test_user_features(events, customers, products):
    rows = _rows(features.user_features(events, customers, products, D2), "customer_id")
    one, two = rows[(1,)], rows[(2,)]
    assert (one["days_since_last_purchase"], one["days_since_last_event"]) == (1, 0)
    assert (one["orders"], one["purchases"], one["monetary"]) == (
        1,
        1,
        10.0,
    )  # 20 bought - 10 returned
    assert (two["purchases"], two["monetary"], two["weapon_share"]) == (2, 42.0, 0.5)
    assert two["style_share_mist"] == 0.5 and two["own_style_share"] == 0.5
    assert one["own_style_share"] == 1.0
    assert two["price_level"] == pytest.approx(21.0 / (52.0 / 3))


def test_item_features(events, products):
    rows = _rows(features.item_features(events, products, D2), "product_id")
    katana = rows[(5,)]
    assert (katana["purchases_7d"], katana["views_7d"], katana["returns_all"]) == (2, 2, 1)
    assert katana["return_rate"] == 0.5
    # Shrunk conversion: (2 + 20 * 3/4) / (2 + 20), with 3 purchases over 4 views shop-wide.
    assert katana["conversion_rate_30d"] == pytest.approx(round(17 / 22, 5))
    assert katana["days_since_launch"] == 1


def test_co_visitation_and_user_item(events):
    pairs = _rows(features.co_visitation_pairs(events), "product_id", "other_product_id")
    assert pairs[(5, 6)]["co_view_sessions"] == 1 and pairs[(6, 5)]["co_view_sessions"] == 1
    assert pairs[(5, 6)]["co_purchase_baskets"] == 1  # customer 2 bought both on D2
    user_item = _rows(features.user_item_features(events, D2), "customer_id", "product_id")
    katana = user_item[(1, 5)]
    assert (katana["views"], katana["purchases"], katana["returns"]) == (1, 1, 1)
    assert user_item[(2, 6)]["days_since_last_purchase"] == 0


def test_features_ignore_events_after_the_cutoff(events, products):
    before = features.events_until(events, D1)
    rows = _rows(features.item_features(before, products, D1), "product_id")
    assert rows[(5,)]["purchases_all"] == 1 and rows[(6,)]["purchases_all"] == 0
