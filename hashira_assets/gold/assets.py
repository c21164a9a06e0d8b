"""The `gold` group: daily business tables, recomputed only for the days a run covers."""

import time
from collections.abc import Callable, Iterator

from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, multi_asset
from dagster_pyspark import PySparkResource
from pyspark.sql import DataFrame

from hashira_assets.gold import tables
from hashira_assets.partitions import EVENT_DAYS, SINGLE_RUN, partition_dates
from hashira_assets.spark.lake_tables import read_table, write_with_metadata, written, written_line
from hashira_assets.spark.progress import spark_progress
from hashira_assets.table_docs import asset_description, asset_metadata
from resources.lake import LakeResource

ZONE = "gold"
# name -> builder from (silver events of the run's days, silver products)
GOLD_TABLES: dict[str, Callable[[DataFrame, DataFrame], DataFrame]] = {
    "daily_product_sales": lambda events, products: tables.daily_product_sales(events),
    "daily_category_sales": tables.daily_category_sales,
    "daily_total_sales": lambda events, products: tables.daily_total_sales(events),
    "hourly_revenue": lambda events, products: tables.hourly_revenue(events),
    "daily_active_users": lambda events, products: tables.daily_active_users(events),
    "daily_funnel": lambda events, products: tables.daily_funnel(events),
}


@multi_asset(
    specs=[
        AssetSpec(
            name,
            deps=["silver_interaction_events", "silver_products"],
            group_name="gold",
            kinds={"pyspark"},
            description=asset_description(name),
            metadata=asset_metadata(name),
        )
        for name in GOLD_TABLES
    ],
    can_subset=True,
    partitions_def=EVENT_DAYS,
    backfill_policy=SINGLE_RUN,
)
def gold_tables(
    context: AssetExecutionContext, pyspark: PySparkResource, lake: LakeResource
) -> Iterator[MaterializeResult]:
    """Compute the selected gold tables for the run's days from one cached read of silver."""
    spark = pyspark.spark_session
    with spark_progress(spark, context.log.info):
        dates = partition_dates(context)
        # One read of silver serves every gold table: reading hundreds of daily files dominates.
        # Only the columns gold reads are cached (at `hm`, 77M rows of them).
        events = read_table(spark, lake, "silver", "interaction_events", dates)
        events = events.select(*tables.EVENT_COLUMNS).cache()
        products = read_table(spark, lake, "silver", "products")
        for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
            name = key.path[-1]
            started = time.monotonic()
            frame = GOLD_TABLES[name](events, products)
            metadata = write_with_metadata(spark, frame, lake, ZONE, name, dates)
            context.log.info(written_line(name, metadata, started))
            yield written(metadata, asset_key=key)
        events.unpersist()
