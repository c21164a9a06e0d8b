"""What every gold, feature and silver table holds: grain, columns, types, units and meanings.

The one place these words live: the gold and feature assets attach them to Dagster as
descriptions and `dagster/column_schema`, and the analytics agent's semantic layer reads the same
objects, so the Dagster UI and the agent never disagree about what a column means.
"""

from __future__ import annotations

import dataclasses

from hashira_assets.raw.vocabulary import BREATHING_STYLES


@dataclasses.dataclass(frozen=True)
class ColumnDoc:
    """One column: its name, logical type, unit (empty when none) and meaning."""

    name: str
    type: str
    description: str
    unit: str = ""


@dataclasses.dataclass(frozen=True)
class TableDoc:
    """One lake table: its zone, what one row is, what it holds, and its columns."""

    name: str
    zone: str
    grain: str
    description: str
    columns: tuple[ColumnDoc, ...]

    def column(self, name: str) -> ColumnDoc:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, type_: str, description: str, unit: str = "") -> ColumnDoc:
    return ColumnDoc(name, type_, description, unit)


_DATE = _c("event_date", "date", "Calendar day of the events (the table's date partition).")
_SALES = (
    _c("units", "bigint", "Units bought in purchase events.", "units"),
    _c("revenue", "double", "Revenue of purchase events, before returns.", "yen"),
    _c("orders", "bigint", "Purchase events (one order line each).", "orders"),
    _c("buyers", "bigint", "Distinct customers with a purchase.", "customers"),
    _c("returned_units", "bigint", "Units sent back in return events.", "units"),
)
_WINDOWS = (7, 30, 90)


def _window_counts(subject: str) -> tuple[ColumnDoc, ...]:
    return tuple(
        _c(f"{kind}_{days}d", "bigint",
           f"{label} of {subject} in the {days} days up to the cut-off.", unit)
        for kind, label, unit in (("purchases", "Purchases", "purchases"),
                                  ("views", "Views", "views"))
        for days in _WINDOWS
    )  # fmt: skip


GOLD = (
    TableDoc(
        "daily_product_sales", "gold", "one row per product and day with a purchase or return",
        "Units, revenue, orders, distinct buyers and returns per product and day.",
        (_DATE, _c("product_id", "int", "Product identifier (products.product_id)."), *_SALES),
    ),
    TableDoc(
        "daily_category_sales", "gold", "one row per product type and day with sales",
        'Units, revenue, orders, distinct buyers and returns per product type ("category") and '
        "day.",
        (_DATE, _c("category", "string", "Product type, e.g. Katana or Haori."), *_SALES),
    ),
    TableDoc(
        "daily_total_sales", "gold", "one row per day with sales",
        "Units, revenue, orders, distinct buyers and returns for the whole shop per day.",
        (_DATE, *_SALES),
    ),
    TableDoc(
        "hourly_revenue", "gold", "one row per day and hour with a purchase",
        "Revenue and orders per hour of each day.",
        (_DATE, _c("hour", "int", "Hour of the day, 0 to 23.", "hour"),
         _c("revenue", "double", "Revenue of purchases in that hour.", "yen"),
         _c("orders", "bigint", "Purchase events in that hour.", "orders")),
    ),
    TableDoc(
        "daily_active_users", "gold", "one row per day with events",
        "Distinct active customers, buyers and sessions per day.",
        (_DATE, _c("active_users", "bigint", "Distinct customers with any event.", "customers"),
         _c("buyers", "bigint", "Distinct customers with a purchase.", "customers"),
         _c("sessions", "bigint", "Distinct sessions.", "sessions")),
    ),
    TableDoc(
        "daily_funnel", "gold", "one row per day with events",
        "Sessions reaching view, cart and purchase per day, with step conversion rates.",
        (_DATE,
         _c("view_sessions", "bigint", "Sessions with a product view.", "sessions"),
         _c("cart_sessions", "bigint", "Sessions with an add-to-cart.", "sessions"),
         _c("purchase_sessions", "bigint", "Sessions with a purchase.", "sessions"),
         _c("view_to_cart_rate", "double", "cart_sessions / view_sessions (null without views).",
            "ratio"),
         _c("cart_to_purchase_rate", "double",
            "purchase_sessions / cart_sessions (null without carts).", "ratio")),
    ),
)  # fmt: skip

_PRODUCT_ATTRIBUTES = (
    _c("product_type", "string", "Product type, e.g. Katana or Haori."),
    _c("department", "string", "weapon or accessory."),
    _c("breathing_style", "string", "Breathing style the product is made for."),
    _c("rarity", "string", "common, rare, epic or legendary."),
    _c("weight_kg", "double", "Weight.", "kg"),
    _c("sharpness", "int", "Sharpness rating 0-100 (0 for accessories).", "points"),
    _c("price", "double", "List price.", "yen"),
    _c("stock", "int", "Units in stock.", "units"),
)

FEATURES = (
    TableDoc(
        "user_features", "features", "one row per customer signed up by the cut-off",
        "Per-customer recency, frequency, monetary, activity windows, style shares, price level.",
        (_c("customer_id", "int", "Customer identifier (customers.customer_id)."),
         _c("breathing_style", "string", "The customer's own breathing style."),
         _c("level", "int", "Slayer level."),
         _c("strength", "double", "Strength attribute."),
         _c("dexterity", "double", "Dexterity attribute."),
         _c("stamina", "double", "Stamina attribute."),
         _c("region", "string", "Home region."),
         _c("days_since_signup", "int", "Days from sign-up to the cut-off.", "days"),
         _c("days_since_last_event", "int", "Days from the last event of any kind to the cut-off "
            "(null without events).", "days"),
         _c("days_since_last_purchase", "int", "Days from the last purchase to the cut-off "
            "(null without purchases).", "days"),
         _c("orders", "bigint", "Sessions with a purchase.", "orders"),
         _c("purchases", "bigint", "Purchase events.", "purchases"),
         _c("monetary", "double", "Revenue net of returns.", "yen"),
         _c("price_level", "double", "Mean price paid over the shop's mean purchase price.",
            "ratio"),
         *_window_counts("the customer"),
         _c("weapon_share", "double", "Share of purchases that were weapons.", "ratio"),
         *(_c(f"style_share_{s.lower()}", "double", f"Share of purchases made for {s} Breathing.",
              "ratio") for s in BREATHING_STYLES),
         _c("own_style_share", "double", "Share of purchases made for the customer's own style.",
            "ratio")),
    ),
    TableDoc(
        "item_features", "features", "one row per product launched by the cut-off",
        "Per-product popularity over windows, trend, conversion rate, price and attributes.",
        (_c("product_id", "int", "Product identifier (products.product_id)."),
         *_PRODUCT_ATTRIBUTES,
         _c("days_since_launch", "int", "Days from launch to the cut-off.", "days"),
         *_window_counts("the product"),
         _c("purchases_all", "bigint", "Purchases ever.", "purchases"),
         _c("returns_all", "bigint", "Returns ever.", "returns"),
         _c("buyers_all", "bigint", "Distinct buyers ever.", "customers"),
         _c("trend", "double", "Last week's purchases over the 30-day weekly average (>1 rising).",
            "ratio"),
         _c("conversion_rate_30d", "double", "Purchases per view over 30 days, shrunk towards "
            "the shop-wide rate.", "ratio"),
         _c("return_rate", "double", "returns_all / purchases_all.", "ratio")),
    ),
    TableDoc(
        "co_visitation_pairs", "features", "one row per ordered product pair seen together",
        "Product pairs viewed in one session or bought in one basket, with their counts.",
        (_c("product_id", "int", "First product of the pair."),
         _c("other_product_id", "int", "Second product of the pair."),
         _c("co_view_sessions", "bigint", "Sessions that viewed both.", "sessions"),
         _c("co_purchase_baskets", "bigint", "Customer-days that bought both.", "baskets")),
    ),
    TableDoc(
        "user_item_features", "features", "one row per customer-product pair with history",
        "Every customer-product pair with history: counts by event type and recency.",
        (_c("customer_id", "int", "Customer identifier."),
         _c("product_id", "int", "Product identifier."),
         _c("views", "bigint", "View events.", "views"),
         _c("carts", "bigint", "Add-to-cart events.", "carts"),
         _c("purchases", "bigint", "Purchase events.", "purchases"),
         _c("returns", "bigint", "Return events.", "returns"),
         _c("days_since_last_event", "int", "Days from the last event to the cut-off.", "days"),
         _c("days_since_last_purchase", "int", "Days from the last purchase to the cut-off.",
            "days"),
         _c("views_30d", "bigint", "Views in the 30 days up to the cut-off.", "views")),
    ),
)  # fmt: skip

SILVER = (
    TableDoc(
        "interaction_events", "silver", "one row per validated event",
        "Every validated shop event: views, carts, purchases and returns.",
        (_c("event_id", "bigint", "Event identifier."),
         _c("session_id", "bigint", "Session identifier."),
         _c("customer_id", "int", "Customer identifier."),
         _c("product_id", "int", "Product identifier."),
         _c("event_type", "string", "view, cart, purchase or return."),
         _c("event_ts", "timestamp", "When the event happened."),
         _c("price", "double", "Unit price at the time.", "yen"),
         _c("quantity", "int", "Units.", "units"),
         _c("revenue", "double", "price x quantity; negative on returns.", "yen"),
         _DATE),
    ),
    TableDoc(
        "products", "silver", "one row per product", "The catalog.",
        (_c("product_id", "int", "Product identifier."),
         _c("name", "string", "Product name."),
         *_PRODUCT_ATTRIBUTES,
         _c("launch_date", "date", "First day on sale."),
         _c("description", "string", "Catalog text.")),
    ),
    TableDoc(
        "customers", "silver", "one row per customer", "The shop's customers.",
        (_c("customer_id", "int", "Customer identifier."),
         _c("name", "string", "Customer name."),
         _c("breathing_style", "string", "The customer's breathing style."),
         _c("level", "int", "Slayer level."),
         _c("slayer_rank", "string", "Demon Slayer Corps rank (the customer segment)."),
         _c("strength", "double", "Strength attribute."),
         _c("dexterity", "double", "Dexterity attribute."),
         _c("stamina", "double", "Stamina attribute."),
         _c("region", "string", "Home region."),
         _c("signup_date", "date", "Day of sign-up.")),
    ),
)  # fmt: skip

_CUTOFF = _c("cutoff_day", "int", "The cut-off (days since 1970-01-01): only events before it.")

# The recommender's per-cut-off tables: model inputs, so not offered to the analytics agent.
RECOMMENDER_FEATURES = (
    TableDoc(
        "recommender_item_activity", "features", "one row per cut-off and product with events",
        "Each product's recent purchases and views before each of a training's cut-offs.",
        (_c("product_id", "int", "Product identifier."),
         _c("pop_decayed", "double", "Purchases weighted by exp(-days ago / 7).", "purchases"),
         _c("purchases_7d", "int", "Purchases in the 7 days before the cut-off.", "purchases"),
         _c("purchases_30d", "int", "Purchases in the 30 days before the cut-off.", "purchases"),
         _c("views_30d", "int", "Views in the 30 days before the cut-off.", "views"),
         _c("purchases_all", "int", "Purchases before the cut-off.", "purchases"),
         _CUTOFF),
    ),
    TableDoc(
        "recommender_histories", "features", "one row per cut-off and customer-product pair",
        "What each customer touched before each cut-off: counts, last days, decayed purchases.",
        (_c("customer_id", "int", "Customer identifier."),
         _c("product_id", "int", "Product identifier."),
         _c("bought", "int", "Purchase events.", "purchases"),
         _c("carted", "int", "Cart events.", "carts"),
         _c("viewed", "int", "View events.", "views"),
         _c("events", "int", "Events of any type.", "events"),
         _c("last_day", "int", "Day of the last event (days since 1970-01-01)."),
         _c("last_buy_day", "int", "Day of the last purchase; -1000000 when none."),
         _c("decayed", "double", "Purchases weighted by exp(-days ago / 60).", "purchases"),
         _c("first_ts", "timestamp", "When the customer first touched the product."),
         _CUTOFF),
    ),
    TableDoc(
        "recommender_segments", "features", "one row per cut-off, segment and product bought",
        "What each (breathing style, level band) segment bought before each cut-off.",
        (_c("style_code", "int", "Breathing style, as its index in the style vocabulary."),
         _c("band", "int", "Level band: 0 below 15, 1 below 30, 2 below 50, 3 from 50."),
         _c("product_id", "int", "Product identifier."),
         _c("weight", "double", "Purchases weighted by exp(-days ago / 14).", "purchases"),
         _c("purchases", "int", "Purchases.", "purchases"),
         _CUTOFF),
    ),
    TableDoc(
        "recommender_co_visitation", "features", "one row per cut-off, product and neighbour",
        "Each product's 20 strongest neighbours over the 90 days before each cut-off.",
        (_c("product_id", "int", "Product identifier."),
         _c("neighbour_id", "int", "The neighbouring product."),
         _c("weight", "float", "Shared sessions + 3 x shared baskets, or shared baskets alone."),
         _c("rank", "int", "1 for the strongest neighbour."),
         _c("bought_together", "boolean", "True: ranked by shared baskets alone."),
         _CUTOFF),
    ),
)  # fmt: skip

TABLES: dict[str, TableDoc] = {t.name: t for t in (*GOLD, *FEATURES, *SILVER)}
# Every table an asset writes, with its words: the analytics agent's tables and the models'.
ASSET_TABLES: dict[str, TableDoc] = {**TABLES, **{t.name: t for t in RECOMMENDER_FEATURES}}


def asset_metadata(name: str) -> dict:
    """The Dagster definition metadata of a table's asset: its column schema with descriptions."""
    from dagster import TableColumn, TableSchema

    doc = ASSET_TABLES[name]
    columns = [
        TableColumn(c.name, c.type, description=c.description + (f" Unit: {c.unit}." if c.unit
                                                                  else ""))
        for c in doc.columns
    ]  # fmt: skip
    return {"dagster/column_schema": TableSchema(columns=columns), "grain": doc.grain}


def asset_description(name: str) -> str:
    return ASSET_TABLES[name].description
