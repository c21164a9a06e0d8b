"""Short answers in words whose every number is a value of the result, and the check for it."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence

from hashira_assets.analytics.semantic import DECOMPOSE_BY, DIMENSIONS, METRICS, output_name
from hashira_assets.analytics.spec import QuerySpec

_NUMBER = re.compile(r"\d{4}-\d{2}-\d{2}|\d{4}-\d{2}|-?\d+(?:\.\d+)?")


def fmt(value) -> str:
    """A cell as the narrative writes it: whole numbers bare, others with up to 4 decimals."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def ungrounded_numbers(narrative: str, rows: Sequence[Sequence]) -> list[str]:
    """The numbers (and dates) in narrative that are not values of any result cell."""
    texts = {fmt(cell) for row in rows for cell in row}
    cells = [c for row in rows for c in row]
    numbers = [
        float(c)
        for c in cells
        if isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c)
    ]
    missing = []
    for token in _NUMBER.findall(narrative):
        if token in texts:
            continue
        if "-" in token[1:]:
            missing.append(token)
            continue
        decimals = len(token.split(".")[1]) if "." in token else 0
        value = float(token)
        if not any(round(n, decimals) == value for n in numbers):
            missing.append(token)
    return missing


def _top(rows, columns, key_cols, out, n=3) -> str:
    idx = [columns.index(k) for k in key_cols]
    j = columns.index(out)
    parts = []
    for row in rows[:n]:
        label = ", ".join(fmt(row[i]) for i in idx)
        parts.append(f"{label} ({fmt(row[j])})")
    return "; ".join(parts)


def metric_narrative(spec: QuerySpec, columns: list[str], rows: list[tuple]) -> str:
    metric = METRICS[spec.metric]
    out = output_name(metric)
    if not rows:
        return f"No {metric.label.lower()} in this window."
    if not spec.dimensions:
        row = dict(zip(columns, rows[0], strict=True))
        if metric.name == "conversion":
            return (f"View-to-cart rate {fmt(row['view_to_cart_rate'])}, cart-to-purchase rate "
                    f"{fmt(row['cart_to_purchase_rate'])}.")  # fmt: skip
        unit = f" {metric.unit}" if metric.unit not in ("ratio", "") else ""
        return f"{metric.label}: {fmt(row[out])}{unit}."
    dims = list(spec.dimensions)
    labels = " and ".join(DIMENSIONS[d].label.lower() for d in dims)
    if all(DIMENSIONS[d].is_time for d in dims) and not spec.top_n and len(dims) == 1:
        j = columns.index(out)
        valued = [r for r in rows if r[j] is not None]
        if not valued:
            return f"No {metric.label.lower()} in this window."
        high = max(valued, key=lambda r: r[j])
        low = min(valued, key=lambda r: r[j])
        return (f"{metric.label} by {labels}, from {fmt(rows[0][0])} to {fmt(rows[-1][0])}: "
                f"highest {fmt(high[j])} at {fmt(high[0])}, lowest {fmt(low[j])} at "
                f"{fmt(low[0])}.")  # fmt: skip
    word = "Lowest" if spec.ascending else "Highest"
    return f"{word} {metric.label.lower()} by {labels}: {_top(rows, columns, dims, out)}."


def why_narrative(spec: QuerySpec, columns: list[str], rows: list[tuple]) -> str:
    metric = METRICS[spec.metric]
    records = [dict(zip(columns, r, strict=True)) for r in rows]
    total = next((r for r in records if r["dimension"] == "total"), None)
    if total is None:
        return f"No {metric.label.lower()} in either window."
    change = total["change"]
    verb = "rose" if change > 0 else "fell" if change < 0 else "did not change"
    text = (f"{metric.label} {verb} from {fmt(total['before'])} to {fmt(total['after'])} "
            f"(change {fmt(change)}).")  # fmt: skip
    if change == 0 or not metric.additive:
        return text
    # The dimension whose single biggest same-direction value carries most of the change.
    best_dim, best_rows, best_share = None, [], 0.0
    present = {r["dimension"] for r in records}
    for dim in [d for d in DECOMPOSE_BY if d in present]:
        same = sorted((r for r in records if r["dimension"] == dim and r["change"] * change > 0),
                      key=lambda r: -abs(r["change"]))  # fmt: skip
        share = abs(same[0]["change"] / change) if same else 0.0
        if share > best_share:
            best_dim, best_rows, best_share = dim, same, share
    if best_dim is None:
        return text
    items = "; ".join(f"{r['value']} ({fmt(r['change'])})" for r in best_rows[:3])
    return f"{text} By {DIMENSIONS[best_dim].label.lower()}, most of it came from {items}."


def inactive_narrative(columns: list[str], rows: list[tuple]) -> str:
    if not rows:
        return "No customer has been inactive that long."
    first = dict(zip(columns, rows[0], strict=True))
    longest = first["days_since_last_event"]
    gap = "never had an event" if longest is None else f"has been away {fmt(longest)} days"
    return (f"{fmt(first['inactive_customers'])} customers have had no event for at least "
            f"{fmt(first['min_days_inactive'])} days; the longest gone, customer "
            f"{fmt(first['customer_id'])}, {gap}.")  # fmt: skip
