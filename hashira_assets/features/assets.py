"""The `features` group: feature tables as of a cut-off date, for the models downstream."""

import datetime as dt
import time
from collections.abc import Callable, Iterator

from dagster import AssetExecutionContext, AssetSpec, Config, MaterializeResult, multi_asset
from dagster_pyspark import PySparkResource
from pydantic import Field
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from hashira_assets.features import tables
from hashira_assets.spark.lake_tables import read_table, write_with_metadata, written, written_line
from hashira_assets.spark.progress import spark_progress
from hashira_assets.table_docs import asset_description, asset_metadata
from resources.lake import LakeResource

ZONE = "features"
# name -> builder from (events up to the cut-off, customers, products, cut-off); the tables'
# descriptions and column schemas live in hashira_assets.table_docs.
FEATURE_TABLES: dict[str, Callable[..., DataFrame]] = {
    "user_features": tables.user_features,
    "item_features": lambda ev, cu, pr, cutoff: tables.item_features(ev, pr, cutoff),
    "co_visitation_pairs": lambda ev, cu, pr, cutoff: tables.co_visitation_pairs(ev),
    "user_item_features": lambda ev, cu, pr, cutoff: tables.user_item_features(ev, cutoff),
}


class FeatureCutoffConfig(Config):
    """Which day the features describe."""

    cutoff_date: str = Field(
        default="", description="YYYY-MM-DD; empty means the last day in the silver events."
    )


@multi_asset(
    specs=[
        AssetSpec(
            name,
            deps=["silver_interaction_events", "silver_customers", "silver_products"],
            group_name="features",
            kinds={"pyspark"},
            description=asset_description(name),
            metadata=asset_metadata(name),
        )
        for name in FEATURE_TABLES
    ],
    can_subset=True,
)
def feature_tables(
    context: AssetExecutionContext,
    config: FeatureCutoffConfig,
    pyspark: PySparkResource,
    lake: LakeResource,
) -> Iterator[MaterializeResult]:
    """Compute the selected feature tables as of the cut-off from one cached read of silver."""
    spark = pyspark.spark_session
    with spark_progress(spark, context.log.info):
        events = read_table(spark, lake, "silver", "interaction_events")
        if config.cutoff_date:
            cutoff = dt.date.fromisoformat(config.cutoff_date)
        else:
            cutoff = events.agg(F.max("event_date")).first()[0]
        events = tables.events_until(events, cutoff).cache()
        customers = read_table(spark, lake, "silver", "customers")
        products = read_table(spark, lake, "silver", "products")
        context.log.info(f"features as of {cutoff}")
        for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
            name = key.path[-1]
            started = time.monotonic()
            build = FEATURE_TABLES[name]
            frame = build(events, customers, products, cutoff)
            metadata = write_with_metadata(spark, frame, lake, ZONE, name)
            context.log.info(written_line(name, metadata, started))
            yield written(metadata, asset_key=key, cutoff_date=str(cutoff))
        events.unpersist()
