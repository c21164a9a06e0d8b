"""Running the Spark layers in-process on a generated world, for the integration tests."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow.dataset as ds

from hashira_assets.definitions import build_definitions
from hashira_assets.raw.world_config import make_config
from hashira_assets.raw.world_resource import SyntheticWorldResource
from hashira_assets.recommender.cutoff_tables import TABLE_NAMES as RECOMMENDER_TABLES
from hashira_assets.selection import partition_range_tags
from resources.lake import LakeResource

SPARK_TABLES = {
    "silver": ["customers", "products", "interaction_events"],
    "gold": ["daily_product_sales", "daily_category_sales", "daily_total_sales", "hourly_revenue",
             "daily_active_users", "daily_funnel"],
    "features": ["user_features", "item_features", "co_visitation_pairs", "user_item_features",
                 *RECOMMENDER_TABLES],
}  # fmt: skip


SPARK_LAYERS = "group:raw or group:lake or group:silver or group:gold or group:features"


def materialize_world(
    home: Path,
    corrupt_rate: float,
    selection: str | None = None,
    run_config: dict | None = None,
    partition_key: str | None = None,
) -> dg.ExecuteInProcessResult:
    """Generate the tiny world with faults and materialize (a selection of) the graph, over all
    of the world's days or, with partition_key, one day."""
    defs = build_definitions("local", preset="tiny")
    world = SyntheticWorldResource(
        raw_dir=str(home / "raw"), preset="tiny", corrupt_rate=corrupt_rate
    )
    lake = LakeResource(root=str(home / "lake"))
    return dg.materialize(
        list(defs.assets),
        # The Spark layers and what feeds them; the assistant's assets have their own tests.
        resources={**defs.resources, "world": world, "lake": lake},
        selection=selection or SPARK_LAYERS,
        tags=None if partition_key else partition_range_tags(make_config("tiny")),
        partition_key=partition_key,
        run_config=run_config,
        raise_on_error=False,
    )


def read_lake_table(home: Path, zone: str, table: str) -> pd.DataFrame:
    """A lake table as a frame with rows in a canonical order, for exact comparisons."""
    frame = (
        ds.dataset(home / "lake" / zone / table, format="parquet", partitioning="hive")
        .to_table()
        .to_pandas()
    )
    frame = frame[sorted(frame.columns)]
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)
