"""The recommender's inputs: silver events, customers and products, the published promotions and
the oracle's answers, loaded once into compact NumPy-backed frames.

Days are integers (days since 1970-01-01) so that cut-offs are cheap comparisons.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from hashira_assets.lake.arrow_tables import empty_lake_table, iter_lake_table, read_lake_table
from hashira_assets.raw.entities import TYPE_IS_CONSUMABLE
from hashira_assets.raw.vocabulary import BREATHING_STYLES, PRODUCT_TYPES
from hashira_assets.raw.world_config import EVAL_DAYS
from hashira_assets.recommender.cutoff_tables import TABLE_NAMES as CUTOFF_TABLES
from hashira_assets.recommender.cutoff_tables import ZONE as CUTOFF_ZONE
from hashira_assets.recommender.cutoff_tables import (
    CutoffTables,
    MissingCutoffError,
    read_cutoff_tables,
)
from resources.lake import LakeResource

EVENT_TYPES = ("view", "cart", "purchase", "return")
VIEW, CART, PURCHASE, RETURN = range(4)
RARITIES = ("common", "rare", "epic", "legendary")
TYPE_NAMES = tuple(t.label for t in PRODUCT_TYPES)
CONSUMABLE_TYPES = frozenset(t for t, c in zip(TYPE_NAMES, TYPE_IS_CONSUMABLE, strict=False) if c)
STYLE_INDEX = {s: i for i, s in enumerate(BREATHING_STYLES)}
TYPE_INDEX = {t: i for i, t in enumerate(TYPE_NAMES)}
RARITY_INDEX = {r: i for i, r in enumerate(RARITIES)}
# Level bands of the popularity segments: a level-5 beginner and a level-80 Hashira buy differently.
LEVEL_BANDS = (0, 15, 30, 50, 101)


def day_number(date: dt.date) -> int:
    """Days since 1970-01-01."""
    return (date - dt.date(1970, 1, 1)).days


def day_date(day: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(day))


def level_band(level: np.ndarray | int) -> np.ndarray:
    """Index of the level band (0-3) of each level."""
    return np.searchsorted(np.asarray(LEVEL_BANDS[1:-1]), np.asarray(level), side="right")


@dataclasses.dataclass
class ShopData:
    """Everything the recommender learns from, with ids kept as in the shop."""

    events: pd.DataFrame  # customer_id, product_id, event_type (code), day, session_id
    customers: pd.DataFrame  # indexed by customer_id
    products: pd.DataFrame  # indexed by product_id
    promotions: pd.DataFrame  # product_id, start_day, end_day, discount
    end_day: int  # the last day of data
    # Where the `features` group wrote the per-cut-off tables (None: a shop without them).
    lake: LakeResource | None = None

    @functools.cached_property
    def customer_ids(self) -> np.ndarray:
        """Every customer id (profiles and event customers) in order: a state's customer rows."""
        event_customers = np.unique(self.events["customer_id"].to_numpy())
        return np.union1d(self.customers.index.to_numpy(), event_customers).astype(np.int64)

    def cutoff_tables(self, cutoff_day: int) -> CutoffTables:
        """The `features` group's tables of one cut-off (see `cutoff_tables`)."""
        if self.lake is None:
            raise MissingCutoffError("this shop's data was loaded without its lake")
        return read_cutoff_tables(self.lake, cutoff_day)

    @property
    def eval_start_day(self) -> int:
        """First day of the evaluation window (the last EVAL_DAYS days)."""
        return self.end_day - EVAL_DAYS + 1

    def purchases_between(self, start_day: int, end_day: int) -> dict[int, set[int]]:
        """Products each customer bought in [start_day, end_day]."""
        ev = self.events
        mask = (ev["event_type"].to_numpy() == PURCHASE) & ev["day"].between(start_day, end_day)
        bought = ev.loc[mask, ["customer_id", "product_id"]].drop_duplicates()
        return {int(c): set(g.tolist()) for c, g in bought.groupby("customer_id")["product_id"]}


def _codes(values: pd.Series, index: dict[str, int]) -> np.ndarray:
    return values.map(index).fillna(-1).astype(np.int16).to_numpy()


def prepare_products(frame: pd.DataFrame) -> pd.DataFrame:
    """Products indexed by id with integer codes for style, type and rarity."""
    products = frame.set_index("product_id").sort_index()
    products["style_code"] = _codes(products["breathing_style"], STYLE_INDEX)
    products["type_code"] = _codes(products["product_type"], TYPE_INDEX)
    products["rarity_code"] = _codes(products["rarity"], RARITY_INDEX)
    products["is_consumable"] = products["product_type"].isin(CONSUMABLE_TYPES)
    products["launch_day"] = pd.to_datetime(products["launch_date"]).map(
        lambda d: day_number(d.date())
    )
    # Price relative to the median of its type: what the choice model's price term sees.
    type_median = products.groupby("product_type")["price"].transform("median")
    products["log_relative_price"] = np.log(products["price"] / type_median)
    return products


def prepare_customers(frame: pd.DataFrame) -> pd.DataFrame:
    """Customers indexed by id with integer codes for style and level band."""
    customers = frame.set_index("customer_id").sort_index()
    customers["style_code"] = _codes(customers["breathing_style"], STYLE_INDEX)
    customers["band"] = level_band(customers["level"].to_numpy())
    customers["signup_day"] = pd.to_datetime(customers["signup_date"]).map(
        lambda d: day_number(d.date())
    )
    return customers


def _dates_to_days(values: pd.Series) -> np.ndarray:
    return ((pd.to_datetime(values) - pd.Timestamp("1970-01-01")).dt.days).to_numpy(np.int32)


def _event_columns(table: pa.Table) -> dict[str, np.ndarray]:
    codes = pc.index_in(table["event_type"], value_set=pa.array(EVENT_TYPES))
    return {
        "customer_id": table["customer_id"].to_numpy().astype(np.int32, copy=False),
        "product_id": table["product_id"].to_numpy().astype(np.int32, copy=False),
        "event_type": pc.fill_null(codes, -1).to_numpy().astype(np.int8),
        "day": pc.cast(table["event_date"], pa.int32()).to_numpy(),
        "session_id": table["session_id"].to_numpy().astype(np.int64, copy=False),
    }


def prepare_events(table: pa.Table) -> pd.DataFrame:
    """Events with integer event-type codes and day numbers, in a compact layout. Converted in
    Arrow: at `hm` (77M events) pandas' object column of event types and its datetime column
    were each another 600 MB beside the table."""
    return pd.DataFrame(_event_columns(table))


EVENT_COLUMNS = ["customer_id", "product_id", "event_type", "event_date", "session_id"]


def load_events(lake: LakeResource) -> pd.DataFrame:
    """Silver events, converted day folder by day folder (so in day order) into compact columns.

    At `hm` (77M events) reading the table whole and converting it peaked at 7.1 GiB and left
    the process at 7.8 GiB before any training: the whole table in Arrow, pandas copying the
    columns into one block, and Arrow's allocator keeping the freed pages. This peaks at 3.8 GiB
    (the days' columns and their concatenation) and keeps the 1.5 GiB of the result."""
    parts: dict[str, list[np.ndarray]] = {}
    for table in iter_lake_table(lake, "silver", "interaction_events", EVENT_COLUMNS):
        for name, values in _event_columns(table).items():
            parts.setdefault(name, []).append(values)
    if not parts:
        return prepare_events(empty_lake_table(lake, "silver", "interaction_events", EVENT_COLUMNS))
    # Column by column, each column's parts let go as soon as they are joined.
    columns = {name: np.concatenate(parts.pop(name)) for name in list(parts)}
    pa.default_memory_pool().release_unused()
    # copy=False: one block per column, the arrays above, instead of a consolidated copy.
    return pd.DataFrame(columns, copy=False)


def prepare_promotions(frame: pd.DataFrame) -> pd.DataFrame:
    """Promotions with day numbers and the discount as a share (0.1 = 10% off)."""
    return pd.DataFrame(
        {
            "product_id": frame["product_id"].to_numpy(np.int32),
            "start_day": _dates_to_days(frame["start_date"]),
            "end_day": _dates_to_days(frame["end_date"]),
            "discount": frame["discount_pct"].to_numpy(np.float64) / 100.0,
        }
    )


def _raw_table(raw_dir: Path, table: str, columns: list[str] | None = None) -> pd.DataFrame:
    return ds.dataset(raw_dir / table, format="parquet").to_table(columns=columns).to_pandas()


# What a training reads (load_shop_data, the cut-off tables and the oracle): the tables whose
# versions every ranker records.
SHOP_INPUTS = (
    "silver/interaction_events",
    "silver/customers",
    "silver/products",
    *(f"{CUTOFF_ZONE}/{table}" for table in CUTOFF_TABLES),
    "world/promotions",
    "world/oracle_top_products",
)


def load_shop_data(lake: LakeResource, raw_dir: Path) -> ShopData:
    """Silver events, customers and products from the lake; promotions from the raw world (they
    are published ahead, so they are known for the evaluation window too)."""
    events = load_events(lake)
    customers = read_lake_table(lake, "silver", "customers").to_pandas()
    products = read_lake_table(lake, "silver", "products").to_pandas()
    promotions = _raw_table(raw_dir, "promotions")
    return ShopData(
        events=events,
        customers=prepare_customers(customers),
        products=prepare_products(products),
        promotions=prepare_promotions(promotions),
        end_day=int(events["day"].max()),
        lake=lake,
    )


def load_oracle_top(raw_dir: Path, k: int = 12) -> dict[int, list[int]]:
    """The oracle's top-k products per evaluated customer, best first."""
    table = _raw_table(raw_dir, "oracle_top_products")
    table = table[table["rank"] <= k].sort_values(["customer_id", "rank"])
    return {int(c): g.tolist() for c, g in table.groupby("customer_id")["product_id"]}
