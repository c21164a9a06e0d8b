"""What lets the recommender run on a large shop: the interaction matrix from aggregated
histories, sampled customers, the Arrow check of the recommendations table and the progress of
the write."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from hashira_assets.recommender.als import interaction_matrix
from hashira_assets.recommender.data import CART, PURCHASE, RETURN, VIEW, ShopData
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


def _pairs(events: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Events aggregated per (customer row, product) as `CutoffState` holds them."""
    frame = events.assign(
        bought=events["event_type"] == PURCHASE,
        carted=events["event_type"] == CART,
        viewed=events["event_type"] == VIEW,
    )
    pairs = frame.groupby(["row", "product_id"])[["bought", "carted", "viewed"]].sum()
    pairs = pairs.reset_index()
    hist = {"item": pairs["product_id"].to_numpy(np.int32)}
    hist.update({k: pairs[k].to_numpy(np.float32) for k in ("bought", "carted", "viewed")})
    return pairs["row"].to_numpy(), hist


def test_the_interaction_matrix_weights_pairs_and_leaves_the_histories_alone():
    events = _events(2_000, 3)
    rows, hist = _pairs(events)
    # A customer's products in first-touched order, not sorted, as the state keeps them.
    hist = {k: v[::-1] for k, v in hist.items()}
    rows = rows[::-1]
    order = np.argsort(rows, kind="stable")
    rows, hist = rows[order], {k: v[order] for k, v in hist.items()}
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


def test_shop_data_has_a_row_for_every_profile_and_every_event_customer():
    events = _events(500, 4).rename(columns={"row": "customer_id"})
    customers = pd.DataFrame(index=pd.Index([7, 99], name="customer_id"))
    data = ShopData(events, customers, pd.DataFrame(), pd.DataFrame(), end_day=CUTOFF - 1)
    ids = data.customer_ids
    assert (np.diff(ids) > 0).all()
    assert set(ids.tolist()) == set(events["customer_id"].tolist()) | {7, 99}


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
