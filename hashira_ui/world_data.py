"""Reading the generated world for the app: plain functions, no Streamlit in here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

from hashira_assets.raw.generate import read_manifest
from hashira_serving.errors import NotMaterializedError


def _missing_raw(table: str) -> NotMaterializedError:
    return NotMaterializedError(
        f"The raw table `{table}` is not materialized yet: run `make demo`, or materialize the "
        "`raw` group in the Dagster UI."
    )


def world_manifest(raw_dir: Path) -> dict:
    try:
        return read_manifest(raw_dir)
    except FileNotFoundError as exc:
        raise NotMaterializedError(
            "The synthetic world is not materialized yet: run `make demo`, or materialize the "
            "`raw` group in the Dagster UI."
        ) from exc


def read_table(raw_dir: Path, table: str, columns: list[str] | None = None) -> pd.DataFrame:
    """One raw table as a DataFrame (hive-partitioned folders included)."""
    folder = raw_dir / table
    if not folder.is_dir():
        raise _missing_raw(table)
    dataset = ds.dataset(folder, format="parquet", partitioning="hive")
    return dataset.to_table(columns=columns).to_pandas()


def daily_sales(raw_dir: Path) -> pd.DataFrame:
    """Units and revenue bought per day, from the purchase events."""
    folder = raw_dir / "interaction_events"
    if not folder.is_dir():
        raise _missing_raw("interaction_events")
    dataset = ds.dataset(folder, format="parquet", partitioning="hive")
    table = dataset.to_table(
        columns=["event_date", "price", "quantity"], filter=ds.field("event_type") == "purchase"
    ).to_pandas()
    table["revenue"] = table["price"] * table["quantity"]
    daily = table.groupby("event_date").agg(units=("quantity", "sum"), revenue=("revenue", "sum"))
    daily.index = pd.to_datetime(daily.index)
    return daily.sort_index()


def _customer_filter(customer_id: int):
    return ds.field("customer_id") == int(customer_id)


def customer_row(raw_dir: Path, customer_id: int) -> dict | None:
    """A generated customer's profile (style, level, strength, dexterity, stamina), or None."""
    folder = raw_dir / "customers"
    if not folder.is_dir():
        raise _missing_raw("customers")
    rows = ds.dataset(folder, format="parquet").to_table(filter=_customer_filter(customer_id))
    return rows.to_pylist()[0] if rows.num_rows else None


def customer_events(raw_dir: Path, customer_id: int) -> pd.DataFrame:
    """A generated customer's events: product, type and day."""
    folder = raw_dir / "interaction_events"
    if not folder.is_dir():
        raise _missing_raw("interaction_events")
    dataset = ds.dataset(folder, format="parquet", partitioning="hive")
    return dataset.to_table(
        columns=["product_id", "event_type", "event_date"], filter=_customer_filter(customer_id)
    ).to_pandas()


def customer_battles(raw_dir: Path, customer_id: int) -> pd.DataFrame:
    """Battle outcomes of the weapons a generated customer bought."""
    folder = raw_dir / "battle_outcomes"
    if not folder.is_dir():
        raise _missing_raw("battle_outcomes")
    dataset = ds.dataset(folder, format="parquet", partitioning="hive")
    return dataset.to_table(filter=_customer_filter(customer_id)).to_pandas()
