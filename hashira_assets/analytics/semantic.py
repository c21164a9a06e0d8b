"""The semantic layer: tables and columns from `hashira_assets.table_docs` (the text the Dagster
assets carry), plus the named metrics and dimensions with the SQL that computes them.

A metric has one expression per source it can be computed from: the gold daily tables (small and
pre-aggregated), the gold funnel, or the silver events joined to products and customers (for
drill-downs by product attributes and customer segments, and for hour-level windows).
"""

from __future__ import annotations

import dataclasses

from hashira_assets.table_docs import TABLES, TableDoc

# Source name -> FROM clause. Aliases are fixed so metric and dimension SQL can name columns.
SOURCES = {
    "gold_total": "daily_total_sales AS g",
    "gold_category": "daily_category_sales AS g",
    "gold_hourly": "hourly_revenue AS g",
    "gold_funnel": "daily_funnel AS g",
    "events": "interaction_events AS e JOIN products AS p ON p.product_id = e.product_id "
    "JOIN customers AS c ON c.customer_id = e.customer_id",
}
_PURCHASE = "e.event_type = 'purchase'"


@dataclasses.dataclass(frozen=True)
class Metric:
    """A named measure: its words, unit, and SQL per source (output column = name)."""

    name: str
    label: str
    description: str
    unit: str
    aliases: tuple[str, ...]
    sql: dict[str, str]
    additive: bool = True
    decimals: int = 0
    # Extra output columns (name -> SQL per source) for metrics that are a pair, like the funnel.
    extra: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Dimension:
    """A named way to group: its words and its SQL per source (output column = name)."""

    name: str
    label: str
    aliases: tuple[str, ...]
    sql: dict[str, str]
    is_time: bool = False
    # (table, column) whose distinct values are filter words, for categorical dimensions.
    values_from: tuple[str, str] | None = None


def _gold(expr: str, *, hourly: bool = True) -> dict[str, str]:
    sources = (
        ("gold_total", "gold_category", "gold_hourly")
        if hourly
        else ("gold_total", "gold_category")
    )
    return dict.fromkeys(sources, expr)  # fmt: skip


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("revenue", "Revenue", "Money taken from purchases, before returns.", "yen",
               ("revenue", "sales", "income", "gross sales"),
               {**_gold("ROUND(SUM(g.revenue), 2)"),
                "events": f"ROUND(COALESCE(SUM(e.revenue) FILTER (WHERE {_PURCHASE}), 0), 2)"},
               decimals=2),
        Metric("orders", "Orders", "Purchase events, one order line each.", "orders",
               ("orders", "order count", "number of orders", "purchases"),
               {**_gold("SUM(g.orders)"), "events": f"COUNT(*) FILTER (WHERE {_PURCHASE})"}),
        Metric("units", "Units sold", "Units bought in purchases.", "units",
               ("units", "units sold", "items sold", "quantity sold", "pieces sold"),
               {**_gold("SUM(g.units)", hourly=False),
                "events": f"COALESCE(SUM(e.quantity) FILTER (WHERE {_PURCHASE}), 0)"}),
        Metric("returned_units", "Returned units", "Units sent back in returns.", "units",
               ("returns", "returned units", "returned items"),
               {**_gold("SUM(g.returned_units)", hourly=False),
                "events": "COALESCE(SUM(e.quantity) FILTER (WHERE e.event_type = 'return'), 0)"}),
        Metric("return_rate", "Return rate", "Returned units over units sold.", "ratio",
               ("return rate", "returns rate", "share returned"),
               {**_gold("ROUND(SUM(g.returned_units) / NULLIF(SUM(g.units), 0), 4)",
                        hourly=False),
                "events": "ROUND(SUM(e.quantity) FILTER (WHERE e.event_type = 'return') / "
                f"NULLIF(SUM(e.quantity) FILTER (WHERE {_PURCHASE}), 0), 4)"},
               additive=False, decimals=4),
        Metric("average_order_value", "Average order value", "Revenue per order.", "yen",
               ("average order value", "aov", "average basket", "revenue per order"),
               {**_gold("ROUND(SUM(g.revenue) / NULLIF(SUM(g.orders), 0), 2)"),
                "events": f"ROUND(SUM(e.revenue) FILTER (WHERE {_PURCHASE}) / "
                f"NULLIF(COUNT(*) FILTER (WHERE {_PURCHASE}), 0), 2)"},
               additive=False, decimals=2),
        Metric("active_users", "Active users", "Distinct customers with any event.", "customers",
               ("active users", "active customers", "users", "visitors"),
               {"events": "COUNT(DISTINCT e.customer_id)"}, additive=False),
        Metric("buyers", "Buyers", "Distinct customers with a purchase.", "customers",
               ("buyers", "paying customers", "purchasers"),
               {"events": f"COUNT(DISTINCT e.customer_id) FILTER (WHERE {_PURCHASE})"},
               additive=False),
        Metric("conversion", "Conversion", "Sessions going view to cart, and cart to purchase.",
               "ratio", ("conversion", "conversion rate", "funnel"),
               {"gold_funnel": "ROUND(SUM(g.cart_sessions) / NULLIF(SUM(g.view_sessions), 0), 4)"},
               additive=False, decimals=4,
               extra={"cart_to_purchase_rate": {"gold_funnel": "ROUND(SUM(g.purchase_sessions) / "
                                                "NULLIF(SUM(g.cart_sessions), 0), 4)"}}),
    )
}  # fmt: skip
# The funnel metric's first column is the view-to-cart rate.
OUTPUT_NAMES = {"conversion": "view_to_cart_rate"}

_DAY_SOURCES = ("gold_total", "gold_category", "gold_hourly", "gold_funnel")
DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("day", "Day", ("day", "date", "daily"),
                  {**dict.fromkeys(_DAY_SOURCES, "g.event_date"), "events": "e.event_date"},
                  is_time=True),
        Dimension("week", "Week", ("week", "weekly"),
                  {**dict.fromkeys(_DAY_SOURCES, "CAST(DATE_TRUNC('week', g.event_date) AS DATE)"),
                   "events": "CAST(DATE_TRUNC('week', e.event_date) AS DATE)"}, is_time=True),
        Dimension("month", "Month", ("month", "monthly"),
                  {**dict.fromkeys(_DAY_SOURCES, "STRFTIME(g.event_date, '%Y-%m')"),
                   "events": "STRFTIME(e.event_date, '%Y-%m')"}, is_time=True),
        Dimension("hour", "Hour of day", ("hour", "hourly", "hour of day", "time of day"),
                  {"gold_hourly": "g.hour", "events": "HOUR(e.event_ts)"}, is_time=True),
        Dimension("product_type", "Product type",
                  ("category", "product type", "type of product", "kind of item"),
                  {"gold_category": "g.category", "events": "p.product_type"},
                  values_from=("products", "product_type")),
        Dimension("breathing_style", "Breathing style", ("breathing style", "style"),
                  {"events": "p.breathing_style"}, values_from=("products", "breathing_style")),
        Dimension("rarity", "Rarity", ("rarity", "rarity tier"),
                  {"events": "p.rarity"}, values_from=("products", "rarity")),
        Dimension("department", "Department", ("department",),
                  {"events": "p.department"}, values_from=("products", "department")),
        Dimension("segment", "Customer segment",
                  ("customer segment", "segment", "slayer rank", "rank"),
                  {"events": "c.slayer_rank"}, values_from=("customers", "slayer_rank")),
        Dimension("region", "Region", ("region",),
                  {"events": "c.region"}, values_from=("customers", "region")),
        Dimension("product", "Product", ("product", "item"),
                  {"events": "p.name"}, values_from=None),
    )
}  # fmt: skip
# Dimensions a "why did X change" question decomposes the change by.
DECOMPOSE_BY = ("product_type", "breathing_style", "rarity", "segment", "region")


def output_name(metric: Metric) -> str:
    return OUTPUT_NAMES.get(metric.name, metric.name)


def table_docs() -> dict[str, TableDoc]:
    """The documented tables (the same objects the Dagster assets describe themselves with)."""
    return TABLES


def schema_text(tables: list[str] | None = None) -> str:
    """The semantic layer as text: tables, grains and columns with units, then the metrics."""
    lines = []
    for name in tables if tables is not None else list(TABLES):
        doc = TABLES.get(name)
        if doc is None:
            continue
        lines.append(f"table {name} ({doc.zone}; {doc.grain}): {doc.description}")
        for col in doc.columns:
            unit = f" [{col.unit}]" if col.unit else ""
            lines.append(f"  {col.name} {col.type}{unit}: {col.description}")
    lines.append("metrics:")
    lines += [f"  {m.name} [{m.unit}]: {m.description}" for m in METRICS.values()]
    return "\n".join(lines)
