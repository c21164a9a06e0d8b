"""Reconciliation: products add up to categories and categories to the total, never negative."""

import numpy as np
import pandas as pd
import pytest

from hashira_assets.forecast.reconcile import (
    RECONCILIATION_METHODS,
    LevelForecast,
    incoherence,
    reconcile,
)

DAYS = pd.date_range("2026-11-01", periods=2, freq="D")
CATEGORY_OF = pd.Series({"p1": "A", "p2": "A", "p3": "B"})


def level(values, columns) -> LevelForecast:
    mean = pd.DataFrame(np.asarray(values, dtype=float), index=DAYS, columns=columns)
    return LevelForecast(mean, {0.1: mean * 0.5, 0.5: mean, 0.9: mean * 2})


def forecasts() -> dict[str, LevelForecast]:
    return {
        "product": level([[1, 3, 2], [2, 2, 0]], ["p1", "p2", "p3"]),
        "category": level([[8, 4], [6, 0]], ["A", "B"]),
        "total": level([[15], [3]], ["total"]),
    }


@pytest.mark.parametrize("method", RECONCILIATION_METHODS)
def test_every_method_adds_up(method):
    out = reconcile(forecasts(), CATEGORY_OF, method)
    assert incoherence(out, CATEGORY_OF) == pytest.approx(0.0, abs=1e-12)


def test_bottom_up_keeps_products_and_sums_them():
    out = reconcile(forecasts(), CATEGORY_OF, "bottom_up")
    assert out["category"].mean.to_numpy().tolist() == [[4, 2], [4, 0]]
    assert out["total"].mean["total"].tolist() == [6, 4]
    # The category's quantiles move with its mean: A went from 8 to 4, so halved.
    assert out["category"].quantiles[0.9]["A"].iloc[0] == pytest.approx(8.0)


def test_middle_out_keeps_categories_and_splits_them_by_product_shares():
    out = reconcile(forecasts(), CATEGORY_OF, "middle_out")
    assert out["product"].mean.iloc[0].tolist() == pytest.approx([2.0, 6.0, 4.0])
    assert out["total"].mean["total"].tolist() == [12, 6]


def test_top_down_keeps_the_total():
    out = reconcile(forecasts(), CATEGORY_OF, "top_down")
    assert out["total"].mean["total"].tolist() == [15, 3]
    # Day 1: categories 8:4 of 15 -> 10, 5; products of A 1:3 of 10.
    assert out["category"].mean.iloc[0].tolist() == pytest.approx([10.0, 5.0])
    assert out["product"].mean.iloc[0].tolist() == pytest.approx([2.5, 7.5, 5.0])


def test_a_group_forecast_at_zero_is_split_equally_and_quantiles_shift():
    # Day 2: category B is 0 but the total needs B's share of 3 -> B gets 0; p3 (the only
    # product of B) follows. Product p3's own mean is 0 on day 2, so its quantiles shift.
    data = forecasts()
    data["category"] = level([[8, 4], [0, 0]], ["A", "B"])
    out = reconcile(data, CATEGORY_OF, "top_down")
    assert out["category"].mean.iloc[1].tolist() == pytest.approx([1.5, 1.5])
    assert out["product"].mean.iloc[1].tolist() == pytest.approx([0.75, 0.75, 1.5])
    assert out["product"].quantiles[0.9]["p3"].iloc[1] == pytest.approx(1.5)


def test_negative_inputs_are_clipped_to_zero():
    data = forecasts()
    data["product"] = level([[-1, 3, 2], [2, -2, 0]], ["p1", "p2", "p3"])
    for method in RECONCILIATION_METHODS:
        out = reconcile(data, CATEGORY_OF, method)
        for part in out.values():
            assert (part.mean.to_numpy() >= 0).all()
            assert all((q.to_numpy() >= 0).all() for q in part.quantiles.values())


def test_unknown_method_and_category_are_refused():
    with pytest.raises(ValueError, match="unknown reconciliation"):
        reconcile(forecasts(), CATEGORY_OF, "magic")
    with pytest.raises(ValueError, match="has no category forecast"):
        reconcile(forecasts(), pd.Series({"p1": "A", "p2": "A", "p3": "Z"}), "bottom_up")
