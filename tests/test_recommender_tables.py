"""The recommender's per-cut-off tables in Spark against the same sums spelled out in pandas, and
the state that indexes them."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest

from hashira_assets.features import recommender_tables as rt
from hashira_assets.raw.vocabulary import BREATHING_STYLES
from hashira_assets.recommender.cutoff_tables import (
    CO_VISITATION,
    CUTOFF_COLUMN,
    HISTORIES,
    ITEM_ACTIVITY,
    SEGMENTS,
    training_cutoffs,
)

EPOCH = dt.date(1970, 1, 1)
FIRST_DAY, CUTOFF = 20_300, 20_400
TYPES = np.array(["view", "cart", "purchase", "return"])


def _events(n: int, seed: int) -> pd.DataFrame:
    """Random events of 40 customers and 25 products, in sessions of a customer's day."""
    rng = np.random.default_rng(seed)
    customer = rng.integers(1, 41, n)
    day = rng.integers(FIRST_DAY, CUTOFF + 10, n)
    seconds = rng.integers(0, 86_400, n)
    return pd.DataFrame(
        {
            "customer_id": customer.astype(np.int32),
            "product_id": rng.integers(0, 25, n).astype(np.int32),
            "event_type": rng.choice(TYPES, n, p=[0.6, 0.15, 0.2, 0.05]),
            # A few sessions per customer and day.
            "session_id": customer * 10**6 + day * 10 + rng.integers(0, 3, n),
            "event_ts": pd.to_datetime(day, unit="D") + pd.to_timedelta(seconds, unit="s"),
            "day": day,
        }
    )


def _customers() -> pd.DataFrame:
    ids = np.arange(1, 41)
    return pd.DataFrame(
        {
            "customer_id": ids.astype(np.int32),
            # The last customers have no known style: they count in no segment.
            "breathing_style": [BREATHING_STYLES[i % 3] if i < 36 else "Unknown" for i in ids],
            "level": (ids * 2.5).astype(np.int32),
        }
    )


def _spark_events(spark, events: pd.DataFrame):
    silver = events.drop(columns="day").assign(
        event_date=[EPOCH + dt.timedelta(days=int(d)) for d in events["day"]]
    )
    return rt.with_day_numbers(spark.createDataFrame(silver))


def _collect(frame, keys: list[str]) -> pd.DataFrame:
    return frame.toPandas().sort_values(keys).reset_index(drop=True)


@pytest.fixture(scope="module")
def tables(spark):
    events = _events(4_000, 7)
    frames = rt.cutoff_frames(
        _spark_events(spark, events), spark.createDataFrame(_customers()), [CUTOFF]
    )
    return events, frames


def _history(events: pd.DataFrame) -> pd.DataFrame:
    return events[events["day"] < CUTOFF].assign(ago=lambda e: CUTOFF - 1 - e["day"])


def test_product_activity_matches_pandas(tables):
    events, frames = tables
    history = _history(events)
    bought, viewed = history["event_type"] == "purchase", history["event_type"] == "view"
    expected = (
        history.assign(
            pop_decayed=np.where(bought, np.exp(-history["ago"] / rt.POPULARITY_TAU_DAYS), 0.0),
            purchases_7d=bought & (history["ago"] < 7),
            purchases_30d=bought & (history["ago"] < 30),
            views_30d=viewed & (history["ago"] < 30),
            purchases_all=bought,
        )
        .groupby("product_id")[
            ["pop_decayed", "purchases_7d", "purchases_30d", "views_30d", "purchases_all"]
        ]
        .sum()
        .reset_index()
    )
    got = _collect(frames[ITEM_ACTIVITY], ["product_id"])
    assert (got[CUTOFF_COLUMN] == CUTOFF).all()
    for column in expected.columns:
        np.testing.assert_allclose(
            got[column], expected[column], rtol=1e-8, atol=1e-9, err_msg=column
        )


def test_histories_match_pandas_and_never_see_the_label_window(tables):
    events, frames = tables
    history = _history(events)
    bought = history["event_type"] == "purchase"
    frame = history.assign(
        bought=bought,
        carted=history["event_type"] == "cart",
        viewed=history["event_type"] == "view",
        events=1,
        last_buy_day=history["day"].where(bought, rt.NO_PURCHASE_DAY),
        decayed=np.where(bought, np.exp(-history["ago"] / rt.HISTORY_TAU_DAYS), 0.0),
    )
    expected = frame.groupby(["customer_id", "product_id"]).agg(
        bought=("bought", "sum"), carted=("carted", "sum"), viewed=("viewed", "sum"),
        events=("events", "sum"), last_day=("day", "max"),
        last_buy_day=("last_buy_day", "max"), decayed=("decayed", "sum"),
        first_ts=("event_ts", "min"),
    ).reset_index()  # fmt: skip
    got = _collect(frames[HISTORIES], ["customer_id", "product_id"])
    assert len(got) == len(expected)
    for column in ("customer_id", "product_id", "bought", "carted", "viewed", "events",
                   "last_day", "last_buy_day"):  # fmt: skip
        np.testing.assert_array_equal(got[column], expected[column], err_msg=column)
    np.testing.assert_allclose(got["decayed"], expected["decayed"], rtol=1e-8, atol=1e-9)
    assert (got["first_ts"].to_numpy() == expected["first_ts"].to_numpy()).all()


def test_a_cutoffs_tables_do_not_change_when_later_days_are_removed(spark, tables):
    events, frames = tables
    earlier = events[events["day"] < CUTOFF]
    truncated = rt.cutoff_frames(
        _spark_events(spark, earlier), spark.createDataFrame(_customers()), [CUTOFF]
    )
    for name, keys in ((ITEM_ACTIVITY, ["product_id"]), (HISTORIES, ["customer_id", "product_id"]),
                       (SEGMENTS, ["style_code", "band", "product_id"]),
                       (CO_VISITATION, ["bought_together", "product_id", "rank"])):  # fmt: skip
        pd.testing.assert_frame_equal(
            _collect(frames[name], keys), _collect(truncated[name], keys), obj=name
        )


def test_segments_count_only_customers_with_a_known_style(tables):
    events, frames = tables
    customers = _customers()
    customers["style_code"] = customers["breathing_style"].map(
        {s: i for i, s in enumerate(BREATHING_STYLES)}
    )
    customers["band"] = np.searchsorted([15, 30, 50], customers["level"], side="right")
    history = _history(events)
    bought = history[history["event_type"] == "purchase"].merge(
        customers.dropna(subset=["style_code"]), on="customer_id"
    )
    bought = bought.assign(
        weight=np.exp(-bought["ago"] / rt.SEGMENT_TAU_DAYS), purchases=1,
        style_code=bought["style_code"].astype(int),
    )  # fmt: skip
    expected = (
        bought.groupby(["style_code", "band", "product_id"])[["weight", "purchases"]]
        .sum()
        .reset_index()
    )
    got = _collect(frames[SEGMENTS], ["style_code", "band", "product_id"])
    for column in ("style_code", "band", "product_id", "purchases"):
        np.testing.assert_array_equal(got[column], expected[column], err_msg=column)
    np.testing.assert_allclose(got["weight"], expected["weight"], rtol=1e-8, atol=1e-9)
    assert set(got["style_code"]) <= {0, 1, 2}


def _pair_weights(groups: pd.DataFrame) -> dict[tuple[int, int], float]:
    """Ordered product pairs over groups of 2 to MAX_SESSION_ITEMS distinct products."""
    weights: dict[tuple[int, int], float] = {}
    for _, products in groups.drop_duplicates().groupby("group")["product_id"]:
        if 1 < len(products) <= rt.MAX_SESSION_ITEMS:
            for a, b in itertools.permutations(products.tolist(), 2):
                weights[(a, b)] = weights.get((a, b), 0.0) + 1.0
    return weights


def _strongest(weights: dict[tuple[int, int], float]) -> dict[int, list[tuple[int, float]]]:
    by_product: dict[int, list[tuple[int, float]]] = {}
    for (a, b), w in weights.items():
        by_product.setdefault(a, []).append((b, w))
    return {
        a: sorted(pairs, key=lambda p: (-p[1], p[0]))[: rt.CO_VISIT_NEIGHBOURS]
        for a, pairs in by_product.items()
    }


def test_co_visitation_keeps_each_products_strongest_neighbours(tables):
    events, frames = tables
    history = _history(events)
    recent = history[history["day"] >= CUTOFF - rt.CO_VISIT_DAYS]
    views = recent[recent["event_type"] == "view"]
    buys = recent[recent["event_type"] == "purchase"]
    co_view = _pair_weights(views.assign(group=views["session_id"])[["group", "product_id"]])
    co_buy = _pair_weights(
        buys.assign(group=buys["customer_id"] * 100_000 + buys["day"])[["group", "product_id"]]
    )
    combined = {
        pair: co_view.get(pair, 0.0) + rt.CO_PURCHASE_WEIGHT * co_buy.get(pair, 0.0)
        for pair in co_view.keys() | co_buy.keys()
    }
    got = _collect(frames[CO_VISITATION], ["bought_together", "product_id", "rank"])
    for together, weights in ((False, combined), (True, co_buy)):
        rows = got[got["bought_together"] == together]
        kept = {
            a: list(zip(g["neighbour_id"].tolist(), g["weight"].tolist(), strict=True))
            for a, g in rows.groupby("product_id")
        }
        assert kept == _strongest(weights)
    assert (got.groupby(["bought_together", "product_id"]).size() <= rt.CO_VISIT_NEIGHBOURS).all()


def test_a_training_has_a_cutoff_per_week_the_window_and_the_serving_day():
    end_day = CUTOFF + 9
    start = end_day - 6
    assert training_cutoffs(end_day, 2) == [start - 14, start - 7, start, end_day + 1]


def test_silver_without_events_is_refused_with_a_message(spark):
    empty = _spark_events(spark, _events(50, 1)).limit(0)
    with pytest.raises(rt.NoEventsError, match="no events"):
        rt.training_cutoffs_of(empty, 4)
    events = _events(50, 1)
    assert rt.training_cutoffs_of(_spark_events(spark, events), 2) == training_cutoffs(
        int(events["day"].max()), 2
    )
