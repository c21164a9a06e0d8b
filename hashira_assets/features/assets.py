"""The `features` group: feature tables as of a cut-off date, for the models downstream."""

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Config,
    Failure,
    MaterializeResult,
    multi_asset,
)
from dagster_pyspark import PySparkResource
from pydantic import Field
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from hashira_assets.features import recommender_tables, tables
from hashira_assets.priorities import SHOP_FIRST
from hashira_assets.recommender.cutoff_tables import CUTOFF_COLUMN, TABLE_NAMES
from hashira_assets.recommender.data import day_date
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


def _table_specs(names: Iterable[str], deps: list[str]) -> list[AssetSpec]:
    """The assets of feature tables, with their words from `table_docs`."""
    return [
        AssetSpec(
            name,
            deps=deps,
            group_name="features",
            kinds={"pyspark"},
            description=asset_description(name),
            metadata=asset_metadata(name),
        )
        for name in names
    ]


class FeatureCutoffConfig(Config):
    """Which day the features describe."""

    cutoff_date: str = Field(
        default="", description="YYYY-MM-DD; empty means the last day in the silver events."
    )


@multi_asset(
    specs=_table_specs(
        FEATURE_TABLES, ["silver_interaction_events", "silver_customers", "silver_products"]
    ),
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


class RecommenderCutoffConfig(Config):
    """Which cut-offs the recommender's tables are computed for."""

    train_weeks: int = Field(
        default=4,
        ge=1,
        description="Training weeks before the evaluation window: at least the recommender's "
        "own train_weeks.",
    )


@multi_asset(
    specs=_table_specs(TABLE_NAMES, ["silver_interaction_events", "silver_customers"]),
    op_tags=SHOP_FIRST,
)
def recommender_cutoff_tables(
    context: AssetExecutionContext,
    config: RecommenderCutoffConfig,
    pyspark: PySparkResource,
    lake: LakeResource,
) -> Iterator[MaterializeResult]:
    """The recommender's per-cut-off tables (product activity, histories, segment popularity,
    co-visitation) for every cut-off of a training, one folder per cut-off."""
    spark = pyspark.spark_session
    with spark_progress(spark, context.log.info):
        silver = read_table(spark, lake, "silver", "interaction_events")
        events = recommender_tables.with_day_numbers(silver).cache()
        try:
            cutoffs = recommender_tables.training_cutoffs_of(events, config.train_weeks)
        except recommender_tables.NoEventsError as error:
            raise Failure(str(error)) from error
        dates = ", ".join(str(day_date(day)) for day in cutoffs)
        context.log.info(f"recommender tables for the cut-offs {dates}")
        customers = read_table(spark, lake, "silver", "customers")
        frames = recommender_tables.cutoff_frames(events, customers, cutoffs)
        for name in TABLE_NAMES:
            started = time.monotonic()
            metadata = write_with_metadata(
                spark, frames[name], lake, ZONE, name, folders_by=CUTOFF_COLUMN
            )
            context.log.info(written_line(name, metadata, started))
            yield written(metadata, asset_key=AssetKey(name), cutoff_dates=dates)
        events.unpersist()
