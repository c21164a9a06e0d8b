"""Helpers for tests that read a generated world into pandas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds


def read(world: Path, table: str) -> pd.DataFrame:
    return ds.dataset(world / table, format="parquet", partitioning="hive").to_table().to_pandas()


def purchases(world: Path) -> pd.DataFrame:
    events = read(world, "interaction_events")
    bought = events[events["event_type"] == "purchase"].copy()
    bought["event_date"] = pd.to_datetime(bought["event_date"].astype(str))
    return bought
