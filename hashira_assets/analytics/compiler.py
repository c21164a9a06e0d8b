"""QuerySpec -> one parameterized SQL statement over the semantic layer's sources.

Only fragments from the semantic layer become SQL text; every value taken from the question
(dates, filter values, thresholds, N) is a bound parameter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from hashira_assets.analytics.guard import Refusal
from hashira_assets.analytics.semantic import (
    DECOMPOSE_BY,
    DIMENSIONS,
    METRICS,
    SOURCES,
    output_name,
)
from hashira_assets.analytics.spec import QuerySpec, Window

SOURCE_ORDER = ("gold_total", "gold_category", "gold_hourly", "gold_funnel", "events")
SOURCE_TABLES = {
    "gold_total": ("daily_total_sales",),
    "gold_category": ("daily_category_sales",),
    "gold_hourly": ("hourly_revenue",),
    "gold_funnel": ("daily_funnel",),
    "events": ("interaction_events", "products", "customers"),
}
DEFAULT_LIST_ROWS = 100


@dataclasses.dataclass(frozen=True)
class ChartHint:
    """How to draw a result: kind ("line" or "bar"), x and y columns, optional colour column."""

    kind: str
    x: str
    y: str
    color: str | None = None


@dataclasses.dataclass(frozen=True)
class CompiledQuery:
    """SQL text with `?` placeholders, its parameters, and how to chart the result."""

    sql: str
    params: tuple
    chart: ChartHint | None
    source: str


def choose_source(spec: QuerySpec, tables: Collection[str]) -> str:
    """The first source (gold before silver) that computes the metric for every dimension and
    filter of the spec and whose tables are in the lake."""
    metric = METRICS[spec.metric]
    needed = [*spec.dimensions, *(dim for dim, _ in spec.filters)]
    for source in SOURCE_ORDER:
        if source not in metric.sql or not all(source in DIMENSIONS[d].sql for d in needed):
            continue
        if spec.window.hourly and source != "events":
            continue
        if all(t in tables for t in SOURCE_TABLES[source]):
            return source
    labels = ", ".join(DIMENSIONS[d].label.lower() for d in needed) or "this window"
    raise Refusal(f"{metric.label} cannot be computed by {labels} from the tables in this lake.")


def _alias(source: str) -> str:
    return "e" if source == "events" else "g"


def window_sql(window: Window, source: str) -> tuple[list[str], list]:
    """WHERE conditions and parameters for a window on a source."""
    a = _alias(source)
    if window.hourly:
        return [f"{a}.event_ts >= ?", f"{a}.event_ts < ?"], [window.start_ts, window.end_ts]
    conditions, params = [], []
    if window.start is not None:
        conditions.append(f"{a}.event_date >= ?")
        params.append(window.start)
    if window.end is not None:
        conditions.append(f"{a}.event_date <= ?")
        params.append(window.end)
    return conditions, params


def filter_sql(spec: QuerySpec, source: str) -> tuple[list[str], list]:
    conditions, params = [], []
    for dim, values in spec.filters:
        marks = ", ".join("?" for _ in values)
        conditions.append(f"{DIMENSIONS[dim].sql[source]} IN ({marks})")
        params.extend(values)
    return conditions, params


def _where(conditions: list[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def compile_metric(spec: QuerySpec, tables: Collection[str]) -> CompiledQuery:
    """SELECT dimensions, metric FROM source WHERE window AND filters GROUP BY ORDER BY LIMIT."""
    source = choose_source(spec, tables)
    metric = METRICS[spec.metric]
    out = output_name(metric)
    select = [f"{DIMENSIONS[d].sql[source]} AS {d}" for d in spec.dimensions]
    select.append(f"{metric.sql[source]} AS {out}")
    select += [f"{sql[source]} AS {name}" for name, sql in metric.extra.items()]
    w_cond, w_params = window_sql(spec.window, source)
    f_cond, f_params = filter_sql(spec, source)
    sql = f"SELECT {', '.join(select)} FROM {SOURCES[source]}{_where(w_cond + f_cond)}"
    params = [*w_params, *f_params]
    if spec.dimensions:
        sql += " GROUP BY " + ", ".join(str(i + 1) for i in range(len(spec.dimensions)))
        categorical = [d for d in spec.dimensions if not DIMENSIONS[d].is_time]
        if categorical or spec.top_n:
            direction = "ASC" if spec.ascending else "DESC"
            order = [f"{out} {direction} NULLS LAST", *spec.dimensions]
        else:
            order = list(spec.dimensions)
        sql += " ORDER BY " + ", ".join(order)
        if spec.top_n:
            sql += " LIMIT ?"
            params.append(int(spec.top_n))
    return CompiledQuery(sql, tuple(params), _chart(spec, out), source)


def _chart(spec: QuerySpec, out: str) -> ChartHint | None:
    if not spec.dimensions:
        return None
    x = spec.dimensions[0]
    color = spec.dimensions[1] if len(spec.dimensions) > 1 else None
    kind = "line" if DIMENSIONS[x].is_time else "bar"
    return ChartHint(kind, x, out, color)


def compile_why(spec: QuerySpec, tables: Collection[str]) -> CompiledQuery:
    """Metric in the window and the one before, in total and per value of each decomposing
    dimension, with the change; rows sorted by the size of the change."""
    if not all(t in tables for t in SOURCE_TABLES["events"]):
        raise Refusal("Explaining a change needs the silver events, which this lake lacks.")
    metric = METRICS[spec.metric]
    if "events" not in metric.sql:
        raise Refusal(f"{metric.label} changes cannot be decomposed by product or customer.")
    after, before = spec.window, spec.window.previous()
    a_cond, a_params = window_sql(after, "events")
    b_cond, b_params = window_sql(before, "events")
    f_cond, f_params = filter_sql(spec, "events")
    period = f"CASE WHEN {' AND '.join(a_cond)} THEN 'after' ELSE 'before' END"
    where = _where([f"(({' AND '.join(a_cond)}) OR ({' AND '.join(b_cond)}))", *f_cond])
    parts, params = [], []
    for dim in ("total", *DECOMPOSE_BY):
        value = "'all'" if dim == "total" else DIMENSIONS[dim].sql["events"]
        parts.append(
            f"SELECT '{dim}' AS dimension, CAST({value} AS VARCHAR) AS value, {period} AS period, "
            f"{metric.sql['events']} AS m FROM {SOURCES['events']}{where} GROUP BY 1, 2, 3"
        )
        params += [*a_params, *a_params, *b_params, *f_params]
    decimals = metric.decimals
    sql = (
        f"WITH t AS ({' UNION ALL '.join(parts)}) "
        "SELECT dimension, value, "
        "COALESCE(MAX(m) FILTER (WHERE period = 'before'), 0) AS before, "
        "COALESCE(MAX(m) FILTER (WHERE period = 'after'), 0) AS after, "
        f"ROUND(COALESCE(MAX(m) FILTER (WHERE period = 'after'), 0) - "
        f"COALESCE(MAX(m) FILTER (WHERE period = 'before'), 0), {decimals}) AS change "
        "FROM t GROUP BY 1, 2 ORDER BY dimension = 'total' DESC, ABS(change) DESC, 1, 2"
    )
    return CompiledQuery(sql, tuple(params), ChartHint("bar", "value", "change", "dimension"),
                         "events")  # fmt: skip


def compile_inactive(spec: QuerySpec, tables: Collection[str]) -> CompiledQuery:
    """Customers with no event for at least spec.inactive_days days before the features' cut-off,
    longest gap first, with how many there are."""
    if "user_features" not in tables:
        raise Refusal("Inactive customers come from the user features, which this lake lacks.")
    sql = (
        "SELECT customer_id, days_since_last_event, days_since_last_purchase, orders, monetary, "
        "COUNT(*) OVER () AS inactive_customers, CAST(? AS INTEGER) AS min_days_inactive "
        "FROM user_features WHERE days_since_last_event >= ? OR days_since_last_event IS NULL "
        "ORDER BY days_since_last_event DESC NULLS FIRST, customer_id LIMIT ?"
    )
    days = int(spec.inactive_days)
    return CompiledQuery(sql, (days, days, int(spec.top_n or DEFAULT_LIST_ROWS)), None,
                         "user_features")  # fmt: skip


def compile_spec(spec: QuerySpec, tables: Collection[str]) -> CompiledQuery:
    if spec.intent == "why":
        return compile_why(spec, tables)
    if spec.intent == "inactive":
        return compile_inactive(spec, tables)
    return compile_metric(spec, tables)
