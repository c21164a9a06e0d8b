"""Dense series from gold rows: zero-filling, levels, and the known-future exogenous data."""

import datetime as dt

import pandas as pd
import pytest

from hashira_assets.forecast import series as S

START = dt.date(2026, 10, 1)


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


def small_world() -> S.SalesSeries:
    products = pd.DataFrame(
        {
            "product_id": [0, 1, 2],
            "product_type": ["Katana", "Katana", "Whetstone"],
            "department": ["weapon", "weapon", "accessory"],
            "rarity": ["common", "rare", "common"],
            "price": [100.0, 300.0, 5.0],
            "launch_date": [day(-100), day(-50), day(3)],
        }
    )
    # Product 1 sells nothing at all; day 2 has no row for anybody (a day without sales).
    product_sales = pd.DataFrame(
        {
            "event_date": [day(0), day(0), day(1), day(3)],
            "product_id": [0, 2, 0, 2],
            "units": [2, 5, 1, 3],
            "revenue": [200.0, 25.0, 100.0, 15.0],
        }
    )
    category_sales = pd.DataFrame(
        {
            "event_date": [day(0), day(0), day(1), day(3)],
            "category": ["Katana", "Whetstone", "Katana", "Whetstone"],
            "units": [2, 5, 1, 3],
            "revenue": [200.0, 25.0, 100.0, 15.0],
        }
    )
    total_sales = pd.DataFrame(
        {"event_date": [day(0), day(1), day(3)], "units": [7, 1, 3], "revenue": [225.0, 100, 15]}
    )
    calendar = pd.DataFrame(
        {
            "date": [day(i) for i in range(12)],
            "weekday": "",
            "festival": ["Final Selection" if i == 9 else None for i in range(12)],
            "is_festival": [i == 9 for i in range(12)],
        }
    )
    promotions = pd.DataFrame(
        {
            "promotion_id": [0, 1],
            "product_id": [0, 0],
            "start_date": [day(1), day(2)],
            "end_date": [day(7), day(3)],
            "discount_pct": [10, 30],
        }
    )
    return S.build_sales_series(
        product_sales, category_sales, total_sales, products, calendar, promotions
    )


def test_days_and_products_without_sales_are_zeros():
    series = small_world()
    units = series.units["product"]
    assert list(units.index.date) == [day(i) for i in range(4)]
    assert list(units.columns) == ["0", "1", "2"]
    assert units["0"].tolist() == [2, 1, 0, 0]
    assert units["1"].tolist() == [0, 0, 0, 0]
    assert series.units["total"]["total"].tolist() == [7, 1, 0, 3]
    assert series.revenue["category"]["Katana"].tolist() == [200, 100, 0, 0]


def test_levels_are_consistent():
    series = small_world()
    summed = series.units["product"].T.groupby(series.product_category()).sum().T
    pd.testing.assert_frame_equal(summed, series.units["category"], check_names=False)


def test_exogenous_covers_the_published_future_with_the_larger_discount():
    series = small_world()
    future = S.daily_index(day(8), day(11))
    X = S.exogenous(series, "product", S.daily_index(day(0), day(11)))
    assert X.loc[pd.Timestamp(day(2)), "discount:0"] == pytest.approx(0.3)  # overlap: max
    assert X.loc[pd.Timestamp(day(5)), "discount:0"] == pytest.approx(0.1)
    assert X.loc[pd.Timestamp(day(9)), "is_festival"] == 1
    assert X.loc[pd.Timestamp(day(9)), "festival"] == S.FESTIVAL_CODES["Final Selection"]
    category = S.exogenous(series, "category", future)
    assert list(category.columns) == [
        "festival",
        "is_festival",
        "discount:Katana",
        "discount:Whetstone",
    ]
    with pytest.raises(ValueError, match="published only until"):
        S.exogenous(series, "total", S.daily_index(day(0), day(12)))


def test_sales_of_an_unknown_product_are_refused():
    with pytest.raises(S.UnknownSeriesError, match="unknown series"):
        S.dense_daily(
            pd.DataFrame({"event_date": [day(0)], "product_id": [9], "units": [1]}),
            "product_id",
            "units",
            S.daily_index(day(0), day(1)),
            ["0"],
        )
