"""The `silver` group: clean customers, products and events, and the quarantine of bad events."""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSpec,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)
from dagster_pyspark import PySparkResource
from pydantic import Field

from hashira_assets.metadata import markdown_table
from hashira_assets.partitions import EVENT_DAYS, SINGLE_RUN, partition_dates
from hashira_assets.priorities import SHOP_FIRST
from hashira_assets.silver.rules import (
    RULES,
    SILVER_EVENT_SCHEMA,
    SilverResult,
    build_silver,
    clean_customers,
    clean_products,
    rule_examples,
    schema_problems,
)
from hashira_assets.spark.lake_tables import read_table, write_with_metadata, written
from hashira_assets.spark.progress import spark_progress
from resources.lake import LakeResource

ZONE = "silver"


@asset(deps=["lake_raw_customers"], group_name="silver", kinds={"pyspark"}, op_tags=SHOP_FIRST)
def silver_customers(pyspark: PySparkResource, lake: LakeResource) -> MaterializeResult:
    """Customers with typed columns and one row per customer id."""
    spark = pyspark.spark_session
    frame = clean_customers(read_table(spark, lake, "raw", "customers"))
    return written(write_with_metadata(spark, frame, lake, ZONE, "customers"))


@asset(deps=["lake_raw_products"], group_name="silver", kinds={"pyspark"}, op_tags=SHOP_FIRST)
def silver_products(pyspark: PySparkResource, lake: LakeResource) -> MaterializeResult:
    """Products with typed columns, one row per product id, no negative price or stock."""
    spark = pyspark.spark_session
    frame = clean_products(read_table(spark, lake, "raw", "products"))
    return written(write_with_metadata(spark, frame, lake, ZONE, "products"))


class SilverQualityConfig(Config):
    """Thresholds of the silver quality gates."""

    max_quarantined_share: float = Field(
        default=0.01, description="Quarantined share of raw rows above which downstream stops."
    )


@multi_asset(
    specs=[
        AssetSpec(
            "silver_interaction_events",
            deps=["lake_raw_interaction_events", "silver_customers", "silver_products"],
            group_name="silver",
            kinds={"pyspark"},
            description="Typed, validated, deduplicated interaction events, one folder per day.",
        ),
        AssetSpec(
            "quarantined_interaction_events",
            deps=["lake_raw_interaction_events"],
            group_name="silver",
            kinds={"pyspark"},
            description="Raw events that broke a rule, kept as received with the rule's name.",
        ),
    ],
    check_specs=[
        AssetCheckSpec(
            "quarantine_within_threshold",
            asset="silver_interaction_events",
            blocking=True,
            description="The share of raw rows quarantined stays under the configured threshold.",
        ),
        AssetCheckSpec(
            "schema_matches",
            asset="silver_interaction_events",
            blocking=True,
            description="Silver events have exactly the documented columns and types.",
        ),
        AssetCheckSpec(
            "rows_conserved",
            asset="silver_interaction_events",
            blocking=True,
            description="Raw rows = silver rows + quarantined rows + duplicates removed.",
        ),
    ],
    partitions_def=EVENT_DAYS,
    backfill_policy=SINGLE_RUN,
    op_tags=SHOP_FIRST,
)
def silver_events(
    context: AssetExecutionContext,
    config: SilverQualityConfig,
    pyspark: PySparkResource,
    lake: LakeResource,
) -> Iterator:
    """Validate one range of daily event partitions into silver events and the quarantine."""
    spark = pyspark.spark_session
    dates = partition_dates(context)
    with spark_progress(spark, context.log.info):
        result = build_silver(
            read_table(spark, lake, "raw", "interaction_events", dates),
            read_table(spark, lake, ZONE, "customers"),
            read_table(spark, lake, ZONE, "products"),
        )
        context.log.info(
            f"{dates[0]} to {dates[1]}: {result.raw_rows:,} raw rows -> "
            f"{result.silver_rows:,} silver, {result.quarantined_rows:,} quarantined, "
            f"{result.exact_duplicates + result.near_duplicates:,} duplicates removed"
        )
        quarantine_meta = write_with_metadata(
            spark, result.quarantine, lake, ZONE, "quarantined_interaction_events", dates
        )
        # Silver reads the cached flagged rows: caching it again would be a second copy.
        silver_meta = write_with_metadata(
            spark, result.silver, lake, ZONE, "interaction_events", dates, cache=False
        )
        result.release()
    yield written(silver_meta, asset_key="silver_interaction_events")
    yield written(quarantine_meta, asset_key="quarantined_interaction_events")
    yield quarantine_check(result, config.max_quarantined_share)
    problems = schema_problems(result.silver, SILVER_EVENT_SCHEMA)
    yield AssetCheckResult(
        check_name="schema_matches",
        asset_key="silver_interaction_events",
        passed=not problems,
        metadata={"problems": MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none")},
    )
    yield AssetCheckResult(
        check_name="rows_conserved",
        asset_key="silver_interaction_events",
        passed=result.conserved,
        metadata={
            "raw_rows": result.raw_rows,
            "silver_rows": result.silver_rows,
            "quarantined_rows": result.quarantined_rows,
            "exact_duplicates": result.exact_duplicates,
            "near_duplicates": result.near_duplicates,
        },
    )


def quarantine_check(result: SilverResult, max_share: float) -> AssetCheckResult:
    """Fails (blocking downstream) above max_share; passes with a warning for smaller amounts."""
    share = result.quarantined_share
    rules = [
        {"rule": name, "meaning": meaning, "rows": result.rule_counts[name]}
        for name, meaning in RULES
        if result.rule_counts[name]
    ]
    if share > max_share:
        verdict = (
            f"{share:.2%} of raw rows were quarantined, above the {max_share:.2%} threshold: "
            "downstream assets stop until the data is fixed or the threshold raised"
        )
    elif share > 0:
        verdict = f"warning: {share:.2%} of raw rows quarantined (threshold {max_share:.2%})"
    else:
        verdict = "no row quarantined"
    return AssetCheckResult(
        check_name="quarantine_within_threshold",
        asset_key="silver_interaction_events",
        passed=share <= max_share,
        severity=AssetCheckSeverity.ERROR,
        description=verdict,
        metadata={
            "quarantined_share": float(share),
            "threshold": float(max_share),
            "quarantined_rows": result.quarantined_rows,
            "rules_fired": MetadataValue.md(markdown_table(rules, max_cell=80)),
            "examples": MetadataValue.md(
                markdown_table(rule_examples(result.quarantine)) if rules else "none"
            ),
        },
    )
