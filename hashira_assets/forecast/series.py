"""Dense daily sales series per product, category and in total, with known-future exogenous data.

Gold tables have no row for a product (or category) and day without sales; here every series gets
every day of the history, zeros filled. Series are *wide* frames (one column per series, a daily
`DatetimeIndex`), the layout sktime forecasts natively and which splits by time in O(1).

Exogenous data the shop publishes 90 days ahead (the calendar's festivals and the promotion plan)
is returned for any range of days, so backtests and the real forecast use the same features.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from hashira_assets.lake.arrow_tables import read_lake_table
from hashira_assets.raw.calendar import FUTURE_DAYS
from hashira_assets.raw.vocabulary import FESTIVALS
from resources.lake import LakeResource

LEVELS = ("product", "category", "total")
TOTAL_ID = "total"
MEASURES = ("units", "revenue")
# A per-series exogenous column is named "<feature>:<series id>"; others apply to every series.
SERIES_COLUMN_SEPARATOR = ":"
DISCOUNT_PREFIX = "discount"
FESTIVAL_CODES = {name: i + 1 for i, (name, *_rest) in enumerate(FESTIVALS)}
GOLD_TABLES = {
    "product": ("daily_product_sales", "product_id"),
    "category": ("daily_category_sales", "category"),
    "total": ("daily_total_sales", None),
}
RARITY_CODES = {"common": 0, "rare": 1, "epic": 2, "legendary": 3}


class UnknownSeriesError(ValueError):
    """A product id or category that the sales data does not have; the message says which."""


@dataclasses.dataclass(frozen=True)
class SalesSeries:
    """Zero-filled daily units and revenue per level, plus what is known about the future."""

    units: dict[str, pd.DataFrame]
    revenue: dict[str, pd.DataFrame]
    products: pd.DataFrame  # index: product id as str; category, launch_date, price, codes
    calendar: pd.DataFrame  # daily through FUTURE_DAYS past the end: festival, is_festival
    discounts: pd.DataFrame  # daily through FUTURE_DAYS past the end x product id: fraction off

    @property
    def start(self) -> pd.Timestamp:
        """The first day of history."""
        return self.units["total"].index[0]

    @property
    def end(self) -> pd.Timestamp:
        """The last day of history (the forecasts' cutoff)."""
        return self.units["total"].index[-1]

    @property
    def known_until(self) -> pd.Timestamp:
        """The last day whose calendar and promotions are published."""
        return min(self.calendar.index[-1], self.discounts.index[-1])

    @property
    def categories(self) -> list[str]:
        """Category (product type) names, sorted."""
        return list(self.units["category"].columns)

    def product_category(self) -> pd.Series:
        """Each product's category (product type), indexed by product id as str."""
        return self.products["category"]

    def truncate(self, end: pd.Timestamp) -> SalesSeries:
        """The same data as if history ended on `end` (future exogenous data stays known)."""
        return dataclasses.replace(
            self,
            units={k: v.loc[:end] for k, v in self.units.items()},
            revenue={k: v.loc[:end] for k, v in self.revenue.items()},
        )


def daily_index(start: dt.date | pd.Timestamp, end: dt.date | pd.Timestamp) -> pd.DatetimeIndex:
    """Every day from start to end, inclusive."""
    return pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")


def dense_daily(
    rows: pd.DataFrame, key: str | None, value: str, index: pd.DatetimeIndex, columns: list[str]
) -> pd.DataFrame:
    """Pivot long (event_date, key, value) rows to a wide day x series frame; a series/day with no
    row is a zero (gold writes no row for a day without sales)."""
    dates = pd.to_datetime(rows["event_date"])
    if key is None:
        series = rows.groupby(dates)[value].sum()
        wide = series.to_frame(columns[0])
    else:
        keys = rows[key].astype(str)
        wide = rows.assign(_date=dates, _key=keys).pivot_table(
            index="_date", columns="_key", values=value, aggfunc="sum"
        )
    unknown = sorted(set(wide.columns) - set(columns))
    if unknown:
        raise UnknownSeriesError(f"sales of unknown series {unknown[:5]} ({len(unknown)} in all)")
    wide = wide.reindex(index=index, columns=columns).fillna(0.0).astype("float64")
    wide.index = index
    wide.columns = pd.Index(columns, dtype="object")
    return wide


def product_frame(products: pd.DataFrame) -> pd.DataFrame:
    """Product attributes the forecaster uses, indexed by product id as str."""
    frame = products.set_index(products["product_id"].astype(str))
    type_median = frame.groupby("product_type")["price"].transform("median")
    categories = sorted(frame["product_type"].unique())
    out = pd.DataFrame(
        {
            "category": frame["product_type"].astype(str),
            "launch_date": pd.to_datetime(frame["launch_date"]),
            "price": frame["price"].astype("float64"),
            "category_code": frame["product_type"].map({c: i for i, c in enumerate(categories)}),
            "rarity_code": frame["rarity"].map(RARITY_CODES).fillna(-1).astype(int),
            "department_code": (frame["department"] == "weapon").astype(int),
            "log_relative_price": np.log(frame["price"] / type_median),
        },
        index=frame.index,
    )
    out.index.name = "series_id"
    return out.sort_index(key=lambda ids: ids.astype(int))


def calendar_frame(calendar: pd.DataFrame) -> pd.DataFrame:
    """Festival code (0 on ordinary days) and flag per day."""
    frame = calendar.sort_values("date")
    index = pd.DatetimeIndex(pd.to_datetime(frame["date"]))
    return pd.DataFrame(
        {
            "festival": frame["festival"].map(FESTIVAL_CODES).fillna(0).astype(int).to_numpy(),
            "is_festival": frame["is_festival"].astype(int).to_numpy(),
        },
        index=index,
    ).asfreq("D")


def discount_frame(
    promotions: pd.DataFrame, index: pd.DatetimeIndex, product_ids: list[str]
) -> pd.DataFrame:
    """Fraction off each product on each day; overlapping promotions take the larger discount."""
    out = np.zeros((len(index), len(product_ids)), dtype="float64")
    position = {pid: i for i, pid in enumerate(product_ids)}
    start0 = index[0]
    for row in promotions.itertuples(index=False):
        col = position.get(str(row.product_id))
        if col is None:
            continue
        first = max((pd.Timestamp(row.start_date) - start0).days, 0)
        last = min((pd.Timestamp(row.end_date) - start0).days, len(index) - 1)
        if first <= last:
            span = out[first : last + 1, col]
            np.maximum(span, row.discount_pct / 100.0, out=span)
    return pd.DataFrame(out, index=index, columns=pd.Index(product_ids, dtype="object"))


def build_sales_series(
    product_sales: pd.DataFrame,
    category_sales: pd.DataFrame,
    total_sales: pd.DataFrame,
    products: pd.DataFrame,
    calendar: pd.DataFrame,
    promotions: pd.DataFrame,
) -> SalesSeries:
    """Dense series from gold rows (event_date, key, units, revenue) and raw reference tables."""
    if total_sales.empty:
        raise ValueError("daily_total_sales has no rows: materialize the gold tables first")
    dates = pd.to_datetime(total_sales["event_date"])
    index = daily_index(dates.min(), dates.max())
    product_info = product_frame(products)
    product_ids = list(product_info.index)
    categories = sorted(product_info["category"].unique())
    columns = {"product": product_ids, "category": categories, "total": [TOTAL_ID]}
    sources = {"product": product_sales, "category": category_sales, "total": total_sales}
    units, revenue = {}, {}
    for level, (_table, key) in GOLD_TABLES.items():
        units[level] = dense_daily(sources[level], key, "units", index, columns[level])
        revenue[level] = dense_daily(sources[level], key, "revenue", index, columns[level])
    cal = calendar_frame(calendar)
    future_end = min(cal.index[-1], index[-1] + pd.Timedelta(days=FUTURE_DAYS))
    if cal.index[0] > index[0] or cal.index[-1] < index[-1]:
        raise ValueError("shop_calendar does not cover the sales history")
    full = daily_index(index[0], future_end)
    return SalesSeries(
        units=units,
        revenue=revenue,
        products=product_info,
        calendar=cal.reindex(full).fillna(0).astype(int),
        discounts=discount_frame(promotions, full, product_ids),
    )


# What load_sales_series and load_oracle_units read: the versions every forecaster records.
SALES_TABLES = (
    *(f"gold/{table}" for table, _ in GOLD_TABLES.values()),
    "raw/products",
    "raw/shop_calendar",
    "raw/promotions",
    "raw/oracle_expected_demand",
)


def load_sales_series(lake: LakeResource) -> SalesSeries:
    """Read the three gold sales tables and the raw products, calendar and promotions from the
    lake (no Spark) and build the dense series."""
    gold = {}
    for level, (table, key) in GOLD_TABLES.items():
        columns = ["event_date", "units", "revenue"] + ([key] if key else [])
        gold[level] = read_lake_table(lake, "gold", table, columns).to_pandas()
    products = read_lake_table(
        lake,
        "raw",
        "products",
        ["product_id", "product_type", "department", "rarity", "price", "launch_date"],
    ).to_pandas()
    calendar = read_lake_table(lake, "raw", "shop_calendar").to_pandas()
    promotions = read_lake_table(lake, "raw", "promotions").to_pandas()
    return build_sales_series(
        gold["product"], gold["category"], gold["total"], products, calendar, promotions
    )


def load_oracle_units(lake: LakeResource, series: SalesSeries) -> dict[str, pd.DataFrame]:
    """The generator's true expected units per level for its last 28 days (categories and the
    total are sums of the products' expectations)."""
    rows = read_lake_table(
        lake, "raw", "oracle_expected_demand", ["product_id", "date", "expected_units"]
    ).to_pandas()
    dates = pd.to_datetime(rows["date"])
    index = daily_index(dates.min(), dates.max())
    product = dense_daily(
        rows.rename(columns={"date": "event_date"}),
        "product_id",
        "expected_units",
        index,
        list(series.products.index),
    )
    return aggregate_products(product, series.product_category())


def aggregate_products(product: pd.DataFrame, category_of: pd.Series) -> dict[str, pd.DataFrame]:
    """Product-level frame plus its category sums and total."""
    category = product.T.groupby(category_of.reindex(product.columns).to_numpy()).sum().T
    category.columns = pd.Index(category.columns, dtype="object")
    total = product.sum(axis=1).to_frame(TOTAL_ID)
    return {"product": product, "category": category, "total": total}


def exogenous(series: SalesSeries, level: str, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Known-future features of one level's series for the given days: the calendar's festival and
    each series' promotion discount (a category's and the total's is the mean over its products)."""
    if index[-1] > series.known_until:
        raise ValueError(
            f"exogenous data is published only until {series.known_until.date()}, "
            f"asked for {index[-1].date()}"
        )
    calendar = series.calendar.reindex(index)
    discounts = series.discounts.reindex(index)
    if level == "product":
        per_series = discounts
    elif level == "category":
        per_series = discounts.T.groupby(series.product_category().to_numpy()).mean().T
    else:
        per_series = discounts.mean(axis=1).to_frame(TOTAL_ID)
    per_series = per_series.reindex(columns=series.units[level].columns)
    per_series.columns = [f"{DISCOUNT_PREFIX}{SERIES_COLUMN_SEPARATOR}{c}" for c in per_series]
    return pd.concat([calendar.astype("float64"), per_series], axis=1)


def series_info(series: SalesSeries, level: str) -> pd.DataFrame | None:
    """Static attributes of a level's series for the global model (None for the single total)."""
    if level == "product":
        return series.products[
            ["launch_date", "category_code", "rarity_code", "department_code", "log_relative_price"]
        ]
    if level == "category":
        codes = {c: i for i, c in enumerate(series.categories)}
        first_launch = series.products.groupby("category")["launch_date"].min()
        return pd.DataFrame(
            {
                "launch_date": first_launch.reindex(series.categories),
                "category_code": [codes[c] for c in series.categories],
            },
            index=pd.Index(series.categories, dtype="object"),
        )
    return None
