"""The recommender's per-cut-off tables, computed in Spark: its one feature pipeline.

For each cut-off day, from the events strictly before it:
- product activity: time-decayed purchases and purchase and view counts over windows;
- customers' histories: one row per (customer, product) touched, with counts and last days;
- segment popularity: time-decayed purchases per (breathing style, level band, product);
- co-visitation: each product's strongest neighbours by shared sessions and shared baskets.

Days are integers (days since 1970-01-01), as in `hashira_assets.recommender.data`. The
recommender indexes these rows in `CutoffState`; the request-time features are lookups into them.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from hashira_assets.raw.vocabulary import BREATHING_STYLES
from hashira_assets.recommender.cutoff_tables import (
    CO_VISITATION,
    CUTOFF_COLUMN,
    HISTORIES,
    ITEM_ACTIVITY,
    SEGMENTS,
    training_cutoffs,
)
from hashira_assets.recommender.data import LEVEL_BANDS

# Popularity half-lives: a week's sales say most about next week's; a segment's taste moves
# more slowly; a customer's own purchases are remembered longest.
POPULARITY_TAU_DAYS = 7.0
SEGMENT_TAU_DAYS = 14.0
HISTORY_TAU_DAYS = 60.0
CO_VISIT_DAYS = 90
CO_VISIT_NEIGHBOURS = 20
# Sessions or baskets with more products than this are browsing sprees: their pairs say little
# and cost quadratically.
MAX_SESSION_ITEMS = 30
# A shared basket says more than a shared browsing session.
CO_PURCHASE_WEIGHT = 3.0
NO_PURCHASE_DAY = -(10**6)
EVENT_COLUMNS = ["customer_id", "product_id", "event_type", "session_id", "event_ts", "event_date"]


def with_day_numbers(events: DataFrame) -> DataFrame:
    """The columns the tables need, with `day` as days since 1970-01-01."""
    return events.select(
        *[c for c in EVENT_COLUMNS if c != "event_date"],
        F.datediff(F.col("event_date"), F.lit("1970-01-01").cast("date")).alias("day"),
    )


class NoEventsError(ValueError):
    """Silver holds no events to compute the tables from."""


def training_cutoffs_of(events: DataFrame, train_weeks: int) -> list[int]:
    """The cut-offs of a training over these events (`training_cutoffs` from their last day);
    NoEventsError when there are no events."""
    end_day = events.agg(F.max("day")).first()[0]
    if end_day is None:
        raise NoEventsError("silver_interaction_events has no events to compute features from")
    return training_cutoffs(end_day, train_weeks)


def coded_customers(customers: DataFrame) -> DataFrame:
    """customer_id with the integer style code and level band the recommender uses."""
    style = F.lit(-1)
    for code, name in reversed(list(enumerate(BREATHING_STYLES))):
        style = F.when(F.col("breathing_style") == name, F.lit(code)).otherwise(style)
    band = F.lit(len(LEVEL_BANDS) - 2)
    for index, upper in reversed(list(enumerate(LEVEL_BANDS[1:-1]))):
        band = F.when(F.col("level") < upper, F.lit(index)).otherwise(band)
    return customers.select("customer_id", style.alias("style_code"), band.alias("band"))


def _days_ago() -> Column:
    return F.col(CUTOFF_COLUMN) - 1 - F.col("day")


def _decayed(condition: Column, tau: float) -> Column:
    # Rounded: a sum's last bits depend on the order its partitions meet in, and a standalone
    # cluster must write the same table as local mode.
    weights = F.when(condition, F.exp(-_days_ago() / tau))
    return F.round(F.coalesce(F.sum(weights), F.lit(0.0)), 9)


def _count(condition: Column) -> Column:
    return F.count(F.when(condition, True)).cast("int")


def _is(event_type: str) -> Column:
    return F.col("event_type") == event_type


def item_activity(history: DataFrame) -> DataFrame:
    """Per product: decayed purchases, purchases in 7 and 30 days, views in 30 days, purchases."""
    ago, bought = _days_ago(), _is("purchase")
    return history.groupBy(CUTOFF_COLUMN, "product_id").agg(
        _decayed(bought, POPULARITY_TAU_DAYS).alias("pop_decayed"),
        _count(bought & (ago < 7)).alias("purchases_7d"),
        _count(bought & (ago < 30)).alias("purchases_30d"),
        _count(_is("view") & (ago < 30)).alias("views_30d"),
        _count(bought).alias("purchases_all"),
    )


def histories(history: DataFrame) -> DataFrame:
    """Per (customer, product) touched: purchases, carts, views, all events, last day, last
    purchase day, decayed purchases and when the product was first touched."""
    bought = _is("purchase")
    return history.groupBy(CUTOFF_COLUMN, "customer_id", "product_id").agg(
        _count(bought).alias("bought"),
        _count(_is("cart")).alias("carted"),
        _count(_is("view")).alias("viewed"),
        F.count(F.lit(1)).cast("int").alias("events"),
        F.max("day").alias("last_day"),
        F.coalesce(F.max(F.when(bought, F.col("day"))), F.lit(NO_PURCHASE_DAY)).alias(
            "last_buy_day"
        ),
        _decayed(bought, HISTORY_TAU_DAYS).alias("decayed"),
        F.min("event_ts").alias("first_ts"),
    )


def segments(history: DataFrame, customers: DataFrame) -> DataFrame:
    """Per (style, level band, product): decayed purchases and purchases by customers of a style."""
    styled = customers.where(F.col("style_code") >= 0)
    bought = history.where(_is("purchase")).join(styled, "customer_id")
    return bought.groupBy(CUTOFF_COLUMN, "style_code", "band", "product_id").agg(
        _decayed(F.lit(True), SEGMENT_TAU_DAYS).alias("weight"),
        F.count(F.lit(1)).cast("int").alias("purchases"),
    )


def _pair_counts(groups: DataFrame, name: str) -> DataFrame:
    """(cut-off, product, other product, groups holding both) over groups of 2 to
    MAX_SESSION_ITEMS products; a group is its events inside one cut-off's window."""
    group = [CUTOFF_COLUMN, "group"]
    sized = groups.withColumn("_n", F.count(F.lit(1)).over(Window.partitionBy(*group)))
    small = sized.where((F.col("_n") > 1) & (F.col("_n") <= MAX_SESSION_ITEMS)).drop("_n")
    other = small.withColumnRenamed("product_id", "neighbour_id")
    return (
        small.join(other, group)
        .where(F.col("product_id") != F.col("neighbour_id"))
        .groupBy(CUTOFF_COLUMN, "product_id", "neighbour_id")
        .agg(F.count(F.lit(1)).cast("double").alias(name))
    )


def _strongest(pairs: DataFrame, weight: str) -> DataFrame:
    """Each product's CO_VISIT_NEIGHBOURS heaviest neighbours (ties: the lower id), ranked."""
    by_weight = Window.partitionBy(CUTOFF_COLUMN, "product_id").orderBy(
        F.desc(weight), "neighbour_id"
    )
    return (
        pairs.where(F.col(weight) > 0)
        .withColumn("rank", F.row_number().over(by_weight))
        .where(F.col("rank") <= CO_VISIT_NEIGHBOURS)
        .select(
            CUTOFF_COLUMN,
            "product_id",
            "neighbour_id",
            F.col(weight).cast("float").alias("weight"),
            "rank",
        )
    )


def co_visitation(history: DataFrame) -> DataFrame:
    """Each product's strongest neighbours over the last CO_VISIT_DAYS days: by shared sessions
    plus CO_PURCHASE_WEIGHT times shared baskets (`bought_together` false), and by shared
    baskets alone (`bought_together` true)."""
    recent = history.where(F.col("day") >= F.col(CUTOFF_COLUMN) - CO_VISIT_DAYS)
    views = recent.where(_is("view")).select(
        CUTOFF_COLUMN, F.col("session_id").alias("group"), "product_id"
    )
    baskets = recent.where(_is("purchase")).select(
        CUTOFF_COLUMN,
        (F.col("customer_id").cast("long") * 100_000 + F.col("day")).alias("group"),
        "product_id",
    )
    co_view = _pair_counts(views.distinct(), "co_view")
    co_buy = _pair_counts(baskets.distinct(), "co_buy")
    pair = [CUTOFF_COLUMN, "product_id", "neighbour_id"]
    both = co_view.join(co_buy, pair, "full").fillna(0.0)
    combined = both.withColumn("combined", F.col("co_view") + CO_PURCHASE_WEIGHT * F.col("co_buy"))
    return (
        _strongest(combined, "combined")
        .withColumn("bought_together", F.lit(False))
        .union(_strongest(co_buy, "co_buy").withColumn("bought_together", F.lit(True)))
    )


def cutoff_frames(
    events: DataFrame, customers: DataFrame, cutoff_days: list[int]
) -> dict[str, DataFrame]:
    """The four tables for every cut-off day, each with a `cutoff_day` column.

    `events` must hold `with_day_numbers` columns. Each event is paired with every cut-off after
    its day, so each table is one aggregation over all cut-offs (a union of one per cut-off ran
    six times the stages) and each cut-off sees only its earlier days."""
    cutoffs = events.sparkSession.createDataFrame(
        [(int(c),) for c in cutoff_days], f"{CUTOFF_COLUMN} int"
    )
    history = events.join(F.broadcast(cutoffs), F.col("day") < F.col(CUTOFF_COLUMN))
    coded = F.broadcast(coded_customers(customers))
    return {
        ITEM_ACTIVITY: item_activity(history),
        HISTORIES: histories(history),
        SEGMENTS: segments(history, coded),
        CO_VISITATION: co_visitation(history),
    }
