"""What lets the recommender run on a large shop: sampled customers, the Arrow check of the
recommendations table and the progress of the write."""

from __future__ import annotations

import pyarrow as pa
import pytest

from hashira_assets.recommender.recommendations import (
    RECOMMENDATION_SCHEMA,
    customers_with_problems,
    progress_message,
)
from hashira_assets.recommender.training import RecommenderSettings, sample_customers

BOUGHT = {c: {c % 7} for c in range(1, 1_001)}


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
