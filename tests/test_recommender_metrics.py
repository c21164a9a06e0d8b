"""Ranking metrics against values worked out by hand."""

import math

import pytest

from hashira_assets.recommender.metrics import (
    average_precision_at_k,
    coverage,
    evaluate_rankings,
    ndcg_at_k,
    recall_at_k,
)


@pytest.mark.parametrize(
    ("actual", "predicted", "k", "expected"),
    [
        # Hits at ranks 1 and 3: (1/1 + 2/3) / min(2, 12).
        ({1, 2}, [1, 9, 2], 12, (1 + 2 / 3) / 2),
        # One hit at rank 2 of three bought products: (1/2) / 3.
        ({5, 6, 7}, [9, 5, 8], 12, 0.5 / 3),
        # More bought than k: the divisor is k.
        (set(range(20)), list(range(12)), 12, 1.0),
        ({1}, [2, 3, 1], 2, 0.0),
        # A repeated hit counts once.
        ({1, 2}, [1, 1, 2], 12, (1 + 2 / 3) / 2),
        (set(), [1, 2], 12, 0.0),
    ],
)
def test_average_precision_at_k(actual, predicted, k, expected):
    assert average_precision_at_k(actual, predicted, k) == pytest.approx(expected)


def test_recall_and_ndcg_at_k():
    assert recall_at_k({1, 2, 3, 4}, [1, 9, 3]) == pytest.approx(0.5)
    # Hits at ranks 1 and 3 of two relevant: (1 + 1/log2(4)) / (1 + 1/log2(3)).
    expected = (1 + 0.5) / (1 + 1 / math.log2(3))
    assert ndcg_at_k({1, 2}, [1, 9, 2]) == pytest.approx(expected)
    assert ndcg_at_k({1}, [1]) == pytest.approx(1.0)


def test_coverage_counts_distinct_products_in_top_k():
    # Top 2 of each list: {1, 2} and {1, 4}; product 3 is ranked too low to count.
    assert coverage([[1, 2, 3], [1, 4]], n_products=8, k=2) == pytest.approx(3 / 8)


def test_evaluate_rankings_counts_missing_predictions_as_zero():
    actual = {1: {10}, 2: {20, 21}, 3: set()}
    predicted = {1: [10, 11]}
    result = evaluate_rankings(actual, predicted, n_products=4)
    # Customer 3 bought nothing and is not evaluated; customer 2 has no list and scores 0.
    assert result["customers"] == 2
    assert result["map"] == pytest.approx(0.5)
    assert result["recall"] == pytest.approx(0.5)
    assert result["coverage"] == pytest.approx(2 / 4)
