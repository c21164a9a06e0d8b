"""The battle-fit model's inputs, read from the lake's raw zone (or a raw folder) without Spark."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from hashira_assets.battle.features import SLAYER_COLUMNS, WEAPON_COLUMNS
from hashira_assets.lake.arrow_tables import read_lake_table
from hashira_assets.lake.landing import RAW_ZONE
from resources.lake import LakeResource

BATTLE_COLUMNS = ["customer_id", "product_id", "purchase_date", "battle_date", "success"]
TRUTH_COLUMN = "success_probability"


@dataclasses.dataclass(frozen=True)
class BattleData:
    """Battles, slayers and catalog as pandas frames."""

    battles: pd.DataFrame
    customers: pd.DataFrame
    products: pd.DataFrame


def _frame(table) -> pd.DataFrame:
    frame = table.to_pandas()
    for column in ("purchase_date", "battle_date"):
        if column in frame.columns:
            frame[column] = pd.to_datetime(frame[column])
    return frame


CATALOG_COLUMNS = [*WEAPON_COLUMNS, "name", "stock"]


def load_lake_catalog(lake: LakeResource) -> pd.DataFrame:
    """The raw `products` table's columns the ranking needs, from the lake's raw zone."""
    return _frame(read_lake_table(lake, RAW_ZONE, "products", columns=CATALOG_COLUMNS))


# What load_battle_data reads: the tables whose versions every battle-fit model records.
BATTLE_INPUTS = ("raw/battle_outcomes", "raw/customers", "raw/products")


def load_battle_data(lake: LakeResource) -> BattleData:
    """The raw `battle_outcomes`, `customers` and `products` tables from the lake's raw zone."""
    battles = read_lake_table(lake, RAW_ZONE, "battle_outcomes")
    keep = [c for c in [*BATTLE_COLUMNS, TRUTH_COLUMN] if c in battles.column_names]
    return BattleData(
        battles=_frame(battles.select(keep)),
        customers=_frame(read_lake_table(lake, RAW_ZONE, "customers", columns=SLAYER_COLUMNS)),
        products=load_lake_catalog(lake),
    )


def load_raw_folder(raw_dir: Path) -> BattleData:
    """The same tables straight from a generated raw folder (the benchmark's shortcut)."""
    battles = pq.read_table(raw_dir / "battle_outcomes")
    keep = [c for c in [*BATTLE_COLUMNS, TRUTH_COLUMN] if c in battles.column_names]
    return BattleData(
        battles=_frame(battles.select(keep)),
        customers=_frame(pq.read_table(raw_dir / "customers", columns=SLAYER_COLUMNS)),
        products=_frame(pq.read_table(raw_dir / "products", columns=CATALOG_COLUMNS)),
    )
