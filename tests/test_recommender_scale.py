"""What lets the recommender run on a large shop: the sort-based history aggregation, sampled
customers, the Arrow check of the recommendations table and the progress of the write."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from hashira_assets.recommender.als import interaction_matrix
from hashira_assets.recommender.data import CART, PURCHASE, RETURN, VIEW, ShopData
from hashira_assets.recommender.histories import HISTORY_TAU_DAYS, aggregate_pairs
from hashira_assets.recommender.recommendations import (
    RECOMMENDATION_SCHEMA,
    customers_with_problems,
    progress_message,
)
from hashira_assets.recommender.training import RecommenderSettings, sample_customers

BOUGHT = {c: {c % 7} for c in range(1, 1_001)}
CUTOFF = 400


def _events(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "row": rng.integers(0, 40, n).astype(np.int32),
            "product_id": rng.integers(0, 25, n).astype(np.int32),
            "event_type": rng.choice([VIEW, CART, PURCHASE, RETURN], n).astype(np.int8),
            "day": np.sort(rng.integers(100, CUTOFF, n)).astype(np.int32),
        }
    )


def _reference_pairs(events: pd.DataFrame) -> pd.DataFrame:
    """The same aggregation, spelled the obvious way with a pandas group-by."""
    bought = events["event_type"] == PURCHASE
    frame = events.assign(
        order=np.arange(len(events)),
        bought=bought,
        carted=events["event_type"] == CART,
        viewed=events["event_type"] == VIEW,
        buy_day=events["day"].where(bought, -(10**6)),
        decayed=bought * np.exp(-(CUTOFF - 1 - events["day"]) / HISTORY_TAU_DAYS),
    )
    pairs = frame.groupby(["row", "product_id"]).agg(
        first=("order", "min"), bought=("bought", "sum"), carted=("carted", "sum"),
        viewed=("viewed", "sum"), last_day=("day", "max"), last_buy_day=("buy_day", "max"),
        decayed=("decayed", "sum"),
    )  # fmt: skip
    return pairs.reset_index().sort_values(["row", "first"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pair_aggregation_matches_a_pandas_group_by(seed):
    events = _events(3_000, seed)
    rows, columns = aggregate_pairs(
        events["row"].to_numpy(), events["product_id"].to_numpy(),
        events["event_type"].to_numpy(), events["day"].to_numpy(), 25, CUTOFF,
    )  # fmt: skip
    expected = _reference_pairs(events)
    np.testing.assert_array_equal(rows, expected["row"])
    # Within a customer, products come in the order they were first touched.
    np.testing.assert_array_equal(columns["item"], expected["product_id"])
    for name in ("bought", "carted", "viewed", "last_day", "last_buy_day"):
        np.testing.assert_array_equal(columns[name], expected[name], err_msg=name)
    np.testing.assert_allclose(columns["decayed"], expected["decayed"], rtol=1e-12)


def test_aggregating_in_ranges_of_customers_gives_the_same_pairs():
    events = _events(5_000, 5)
    arrays = [events[c].to_numpy() for c in ("row", "product_id", "event_type", "day")]
    rows, columns = aggregate_pairs(*arrays, 25, CUTOFF)
    chunked_rows, chunked = aggregate_pairs(*arrays, 25, CUTOFF, chunk_events=700)
    np.testing.assert_array_equal(chunked_rows, rows)
    assert list(chunked) == list(columns)
    for name in columns:
        np.testing.assert_array_equal(chunked[name], columns[name], err_msg=name)


def test_no_events_give_no_pairs():
    empty = np.zeros(0, np.int32)
    rows, columns = aggregate_pairs(empty, empty, empty.astype(np.int8), empty, 25, CUTOFF)
    assert len(rows) == 0 and all(len(v) == 0 for v in columns.values())


def test_the_interaction_matrix_weights_pairs_and_leaves_the_histories_alone():
    events = _events(2_000, 3)
    rows, hist = aggregate_pairs(
        events["row"].to_numpy(), events["product_id"].to_numpy(),
        events["event_type"].to_numpy(), events["day"].to_numpy(), 25, CUTOFF,
    )  # fmt: skip
    ptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=40))]
    items_before = hist["item"].copy()
    matrix = interaction_matrix(ptr, hist, 25)
    np.testing.assert_array_equal(hist["item"], items_before)
    weights = np.zeros((40, 25))
    for code, weight in ((VIEW, 1.0), (CART, 3.0), (PURCHASE, 8.0)):
        of_kind = events[events["event_type"] == code]
        np.add.at(weights, (of_kind["row"], of_kind["product_id"]), weight)
    np.testing.assert_allclose(matrix.toarray(), np.log1p(weights), rtol=1e-6)
    # Pairs touched only by returns are not interactions.
    assert matrix.nnz == int((weights > 0).sum())


def test_shop_data_orders_events_by_day_and_slices_a_cutoffs_history():
    events = _events(500, 4).sample(frac=1.0, random_state=0).rename(columns={"row": "customer_id"})
    customers = pd.DataFrame(index=pd.Index([7, 99], name="customer_id"))
    data = ShopData(events, customers, pd.DataFrame(), pd.DataFrame(), end_day=CUTOFF - 1)
    days = data.events["day"].to_numpy()
    assert (np.diff(days) >= 0).all()
    before = data.events_before(250)
    assert len(before) == int((days < 250).sum()) and (before["day"] < 250).all()
    assert np.shares_memory(before["day"].to_numpy(), days)
    ids, rows = data.customer_rows
    np.testing.assert_array_equal(ids[rows], data.events["customer_id"])
    assert {7, 99} <= set(ids.tolist())


def test_a_small_week_keeps_every_buyer():
    assert sample_customers(BOUGHT, 1_000, seed=1) is BOUGHT


def test_a_large_week_is_a_seeded_sample_in_id_order():
    first = sample_customers(BOUGHT, 100, seed=1)
    assert len(first) == 100 and list(first) == sorted(first)
    assert first == sample_customers(BOUGHT, 100, seed=1)
    assert first != sample_customers(BOUGHT, 100, seed=2)
    assert all(first[c] == BOUGHT[c] for c in first)


def test_the_sample_is_drawn_among_the_oracles_customers():
    among = set(range(1, 301))
    sample = sample_customers(BOUGHT, 200, seed=0, among=among)
    assert len(sample) == 200 and set(sample) <= among
    assert set(sample_customers(BOUGHT, 500, seed=0, among=among)) == among


def test_sample_sizes_below_a_hundred_are_refused():
    with pytest.raises(ValueError, match="at least 100"):
        RecommenderSettings(train_customers_per_week=10)


def _table(rows: list[tuple[int, int, int]]) -> pa.Table:
    customer, rank, product = zip(*rows, strict=True)
    n = len(rows)
    return pa.table(
        {
            "customer_id": pa.array(customer, pa.int32()),
            "rank": pa.array(rank, pa.int8()),
            "product_id": pa.array(product, pa.int32()),
            "product_name": ["x"] * n,
            "score": pa.array([0.5] * n, pa.float32()),
            "reason": ["r"] * n,
            "explored": [False] * n,
            "model_version": ["1"] * n,
        },
        schema=RECOMMENDATION_SCHEMA,
    )


def test_the_check_counts_customers_without_twelve_distinct_products():
    good = [(1, r, 100 + r) for r in range(1, 13)]
    repeated = [(2, r, 100 + min(r, 11)) for r in range(1, 13)]  # 11 distinct
    short = [(3, r, 100 + r) for r in range(1, 12)]  # 11 rows
    assert customers_with_problems(_table(good)) == (1, 0)
    assert customers_with_problems(_table(good + repeated + short)) == (3, 2)
    assert customers_with_problems(_table(good).slice(0, 0)) == (0, 0)


def test_progress_says_the_time_left_until_done():
    assert progress_message(0, 10, 0.0) == "recommended for 0 of 10 customers (0%)"
    assert (
        progress_message(5_000, 20_000, 10.0)
        == "recommended for 5,000 of 20,000 customers (25%), about 30 s left"
    )
    assert progress_message(20_000, 20_000, 40.0).endswith("(100%)")
