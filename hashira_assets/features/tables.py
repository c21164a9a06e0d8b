"""Feature tables as of a cut-off date: user, item, co-visitation and user-item features.

Every function sees only events on or before the cut-off (callers pass `events_until(cutoff)`), so
training features and evaluation features can be built for different cut-offs without leakage.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from hashira_assets.raw.vocabulary import BREATHING_STYLES

WINDOWS_DAYS = (7, 30, 90)
# Sessions or baskets with more distinct products than this are skipped for pair counts: they are
# browsing sprees whose pairs say little and cost quadratically.
MAX_PRODUCTS_PER_SESSION = 30
CONVERSION_PRIOR_VIEWS = 20.0


def events_until(events: DataFrame, cutoff: dt.date) -> DataFrame:
    return events.where(F.col("event_date") <= F.lit(cutoff))


def _days_before(cutoff: dt.date, column: str = "event_date") -> Column:
    return F.datediff(F.lit(cutoff), F.col(column))


def _count_in_window(event_type: str, cutoff: dt.date, days: int) -> Column:
    inside = (F.col("event_type") == event_type) & (_days_before(cutoff) < days)
    return F.count(F.when(inside, True))


def user_features(
    events: DataFrame, customers: DataFrame, products: DataFrame, cutoff: dt.date
) -> DataFrame:
    """Recency, frequency, monetary, activity windows, style and department shares, price level."""
    purchase = F.col("event_type") == "purchase"
    enriched = events.join(
        F.broadcast(products.select("product_id", F.col("breathing_style").alias("p_style"),
                                    "department")),
        "product_id",
    )  # fmt: skip
    mean_price = events.where(purchase).agg(F.avg("price")).first()[0] or 1.0
    n_purchases = F.count(F.when(purchase, True))
    # try_divide: customers who never bought get null shares, not a division error.
    style_shares = [
        F.try_divide(F.count(F.when(purchase & (F.col("p_style") == s), True)), n_purchases).alias(
            f"style_share_{s.lower()}"
        )
        for s in BREATHING_STYLES
    ]
    activity = enriched.groupBy("customer_id").agg(
        F.min(_days_before(cutoff)).alias("days_since_last_event"),
        F.min(F.when(purchase, _days_before(cutoff))).alias("days_since_last_purchase"),
        F.countDistinct(F.when(purchase, F.col("session_id"))).alias("orders"),
        F.count(F.when(purchase, True)).alias("purchases"),
        # Net of returns: revenue is negative on return events.
        F.round(F.sum("revenue"), 2).alias("monetary"),
        (F.avg(F.when(purchase, F.col("price"))) / F.lit(mean_price)).alias("price_level"),
        *[_count_in_window("purchase", cutoff, d).alias(f"purchases_{d}d") for d in WINDOWS_DAYS],
        *[_count_in_window("view", cutoff, d).alias(f"views_{d}d") for d in WINDOWS_DAYS],
        F.try_divide(
            F.count(F.when(purchase & (F.col("department") == "weapon"), True)), n_purchases
        ).alias("weapon_share"),
        *style_shares,
    )
    profile = customers.where(F.col("signup_date") <= F.lit(cutoff)).select(
        "customer_id", "breathing_style", "level", "strength", "dexterity", "stamina", "region",
        _days_before(cutoff, "signup_date").alias("days_since_signup"),
    )  # fmt: skip
    own_style = F.lower(F.col("breathing_style"))
    own_share = F.coalesce(
        *[
            F.when(own_style == s.lower(), F.col(f"style_share_{s.lower()}"))
            for s in BREATHING_STYLES
        ]
    )
    joined = profile.join(activity, "customer_id", "left")
    counts = ["orders", "purchases", *[f"{k}_{d}d" for k in ("purchases", "views")
                                       for d in WINDOWS_DAYS]]  # fmt: skip
    return joined.fillna(0, subset=counts).withColumn("own_style_share", own_share)


def item_features(events: DataFrame, products: DataFrame, cutoff: dt.date) -> DataFrame:
    """Popularity over windows, trend, smoothed conversion rate, price and attributes."""
    stats = events.groupBy("product_id").agg(
        *[_count_in_window("purchase", cutoff, d).alias(f"purchases_{d}d") for d in WINDOWS_DAYS],
        *[_count_in_window("view", cutoff, d).alias(f"views_{d}d") for d in WINDOWS_DAYS],
        F.count(F.when(F.col("event_type") == "purchase", True)).alias("purchases_all"),
        F.count(F.when(F.col("event_type") == "return", True)).alias("returns_all"),
        F.countDistinct(F.when(F.col("event_type") == "purchase", F.col("customer_id"))).alias(
            "buyers_all"
        ),
    )
    totals = stats.agg(F.sum("purchases_30d"), F.sum("views_30d")).first()
    prior_rate = (totals[0] or 0) / (totals[1] or 1)
    attributes = ["product_id", "product_type", "department", "breathing_style", "rarity",
                  "weight_kg", "sharpness", "price", "stock"]  # fmt: skip
    catalog = products.where(F.col("launch_date") <= F.lit(cutoff)).select(
        *attributes, _days_before(cutoff, "launch_date").alias("days_since_launch")
    )
    counts = [f"{k}_{d}d" for k in ("purchases", "views") for d in WINDOWS_DAYS]
    counts += ["purchases_all", "returns_all", "buyers_all"]
    joined = catalog.join(stats, "product_id", "left").fillna(0, subset=counts)
    return joined.select(
        "*",
        # Last week's sales against the 30-day weekly average: >1 is rising.
        F.round((F.col("purchases_7d") + 1) / (F.col("purchases_30d") * 7 / 30 + 1), 4).alias(
            "trend"
        ),
        # Shrunk towards the shop-wide rate so rarely viewed products get sensible values.
        F.round(
            (F.col("purchases_30d") + CONVERSION_PRIOR_VIEWS * prior_rate)
            / (F.col("views_30d") + CONVERSION_PRIOR_VIEWS),
            5,
        ).alias("conversion_rate_30d"),
        F.round(F.try_divide("returns_all", "purchases_all"), 4).alias("return_rate"),
    )


def _pair_counts(groups: DataFrame, group_col: str, count_name: str) -> DataFrame:
    """Ordered product pairs that share a group (session or basket), with the number of groups."""
    sizes = groups.groupBy(group_col).agg(F.count(F.lit(1)).alias("_n"))
    small = groups.join(sizes.where(F.col("_n") <= MAX_PRODUCTS_PER_SESSION), group_col)
    left = small.select(group_col, F.col("product_id"))
    right = small.select(group_col, F.col("product_id").alias("other_product_id"))
    return (
        left.join(right, group_col)
        .where(F.col("product_id") != F.col("other_product_id"))
        .groupBy("product_id", "other_product_id")
        .agg(F.count(F.lit(1)).alias(count_name))
    )


def co_visitation_pairs(events: DataFrame) -> DataFrame:
    """Products viewed in the same session, and bought by the same customer on the same day."""
    viewed = events.where(F.col("event_type") == "view").select("session_id", "product_id")
    co_views = _pair_counts(viewed.distinct(), "session_id", "co_view_sessions")
    baskets = (
        events.where(F.col("event_type") == "purchase")
        .select(F.concat_ws("-", "customer_id", "event_date").alias("basket"), "product_id")
        .distinct()
    )
    co_buys = _pair_counts(baskets, "basket", "co_purchase_baskets")
    return co_views.join(co_buys, ["product_id", "other_product_id"], "full").fillna(
        0, subset=["co_view_sessions", "co_purchase_baskets"]
    )


def user_item_features(events: DataFrame, cutoff: dt.date) -> DataFrame:
    """Every customer-product pair with history: counts by type and days since last contact."""
    return events.groupBy("customer_id", "product_id").agg(
        F.count(F.when(F.col("event_type") == "view", True)).alias("views"),
        F.count(F.when(F.col("event_type") == "cart", True)).alias("carts"),
        F.count(F.when(F.col("event_type") == "purchase", True)).alias("purchases"),
        F.count(F.when(F.col("event_type") == "return", True)).alias("returns"),
        F.min(_days_before(cutoff)).alias("days_since_last_event"),
        F.min(F.when(F.col("event_type") == "purchase", _days_before(cutoff))).alias(
            "days_since_last_purchase"
        ),
        _count_in_window("view", cutoff, 30).alias("views_30d"),
    )
