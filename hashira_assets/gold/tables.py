"""Gold: daily business tables computed from silver events, one date partition at a time.

Every function takes the silver events of a date range and returns rows for exactly those dates,
so a new day recomputes one partition, not two years. Days or products without sales have no row:
readers fill zeros (a product that sold nothing on a day is absent, not a row of zeros).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

# The silver event columns the gold tables read.
EVENT_COLUMNS = (
    "event_date", "event_ts", "event_type", "customer_id", "session_id", "product_id",
    "quantity", "revenue",
)  # fmt: skip


def _is(event_type: str) -> Column:
    return F.col("event_type") == event_type


def _sales_aggregates() -> list[Column]:
    purchase = _is("purchase")
    return [
        F.sum(F.when(purchase, F.col("quantity")).otherwise(0)).cast("long").alias("units"),
        F.round(F.sum(F.when(purchase, F.col("revenue")).otherwise(0.0)), 2).alias("revenue"),
        F.count(F.when(purchase, True)).alias("orders"),
        F.countDistinct(F.when(purchase, F.col("customer_id"))).alias("buyers"),
        F.sum(F.when(_is("return"), F.col("quantity")).otherwise(0))
        .cast("long")
        .alias("returned_units"),
    ]


def _sales_only(events: DataFrame) -> DataFrame:
    return events.where(F.col("event_type").isin("purchase", "return"))


def daily_product_sales(events: DataFrame) -> DataFrame:
    """Units, revenue, orders, distinct buyers and returns per product and day."""
    return _sales_only(events).groupBy("event_date", "product_id").agg(*_sales_aggregates())


def daily_category_sales(events: DataFrame, products: DataFrame) -> DataFrame:
    """The same per product type ("category") and day."""
    categories = products.select("product_id", F.col("product_type").alias("category"))
    return (
        _sales_only(events)
        .join(F.broadcast(categories), "product_id")
        .groupBy("event_date", "category")
        .agg(*_sales_aggregates())
    )


def daily_total_sales(events: DataFrame) -> DataFrame:
    """The same for the whole shop per day."""
    return _sales_only(events).groupBy("event_date").agg(*_sales_aggregates())


def hourly_revenue(events: DataFrame) -> DataFrame:
    """Revenue and orders per hour of each day."""
    return (
        events.where(_is("purchase"))
        .groupBy("event_date", F.hour("event_ts").alias("hour"))
        .agg(
            F.round(F.sum("revenue"), 2).alias("revenue"),
            F.count(F.lit(1)).alias("orders"),
        )
    )


def daily_active_users(events: DataFrame) -> DataFrame:
    """Distinct active customers, buyers and sessions per day."""
    return events.groupBy("event_date").agg(
        F.countDistinct("customer_id").alias("active_users"),
        F.countDistinct(F.when(_is("purchase"), F.col("customer_id"))).alias("buyers"),
        F.countDistinct("session_id").alias("sessions"),
    )


def daily_funnel(events: DataFrame) -> DataFrame:
    """Sessions reaching view, cart and purchase per day, with step conversion rates."""
    per_session = events.groupBy("event_date", "session_id").agg(
        F.max(_is("view").cast("int")).alias("viewed"),
        F.max(_is("cart").cast("int")).alias("carted"),
        F.max(_is("purchase").cast("int")).alias("bought"),
    )
    funnel = per_session.groupBy("event_date").agg(
        F.sum("viewed").alias("view_sessions"),
        F.sum("carted").alias("cart_sessions"),
        F.sum("bought").alias("purchase_sessions"),
    )
    return funnel.select(
        "*",
        # try_divide: a day without views (purchase-log presets) has no rate, not an error.
        F.round(F.try_divide("cart_sessions", "view_sessions"), 4).alias("view_to_cart_rate"),
        F.round(F.try_divide("purchase_sessions", "cart_sessions"), 4).alias(
            "cart_to_purchase_rate"
        ),
    )
