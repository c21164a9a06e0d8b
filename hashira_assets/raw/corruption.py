"""Fault injection: a controlled share of bad event rows of every kind, for tests and demos.

Each corrupted row breaks exactly one rule, so the silver layer's quarantine can be checked against
what was injected, kind by kind. Duplicates are added as extra copies of clean rows (a client
retrying), the other kinds mutate one field of a clean row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Kinds in the order rows are assigned to them; the names match the silver layer's rule names.
CORRUPTION_KINDS = (
    "missing_id",
    "unknown_customer_id",
    "unknown_product_id",
    "invalid_event_type",
    "negative_price",
    "non_positive_purchase_price",
    "unparseable_timestamp",
    "timestamp_out_of_range",
    "exact_duplicate",
    "near_duplicate",
)
_BAD_TIMESTAMPS = ("not-a-time", "", "2026-13-45T99:61:00.000", "yesterday evening")
_OUT_OF_RANGE = ("1970-01-01T00:00:00.000", "2099-12-31T23:59:59.000")


def corrupt_events(
    events: pa.Table,
    rate: float,
    n_customers: int,
    n_products: int,
    next_event_id: int,
    rng: np.random.Generator,
) -> tuple[pa.Table, dict[str, int], int]:
    """Return the day's events with about `rate` of them bad, the count per kind, and the next
    free event id."""
    counts = dict.fromkeys(CORRUPTION_KINDS, 0)
    n = events.num_rows
    n_bad = int(rng.binomial(n, rate)) if n and rate > 0 else 0
    if n_bad == 0:
        return events, counts, next_event_id
    rows = rng.choice(n, size=min(n_bad, n), replace=False)
    kinds = rng.integers(0, len(CORRUPTION_KINDS), size=len(rows))
    columns = {name: events.column(name).to_pylist() for name in events.column_names}
    extra: list[dict] = []
    for row, kind_idx in zip(rows, kinds, strict=True):
        kind = CORRUPTION_KINDS[kind_idx]
        if kind == "non_positive_purchase_price" and columns["event_type"][row] != "purchase":
            kind = "negative_price"  # only purchases can carry this fault
        counts[kind] += 1
        if kind == "missing_id":
            columns["customer_id"][row] = None
        elif kind == "unknown_customer_id":
            columns["customer_id"][row] = n_customers + int(rng.integers(1, 1000))
        elif kind == "unknown_product_id":
            columns["product_id"][row] = n_products + int(rng.integers(1, 1000))
        elif kind == "invalid_event_type":
            columns["event_type"][row] = str(rng.choice(["clickk", "VIEW ", "refund?", ""]))
        elif kind == "negative_price":
            columns["price"][row] = -abs(columns["price"][row]) - 0.01
        elif kind == "non_positive_purchase_price":
            columns["price"][row] = 0.0
        elif kind == "unparseable_timestamp":
            columns["event_ts"][row] = str(rng.choice(_BAD_TIMESTAMPS))
        elif kind == "timestamp_out_of_range":
            columns["event_ts"][row] = str(rng.choice(_OUT_OF_RANGE))
        else:
            copy = {name: values[row] for name, values in columns.items()}
            if kind == "near_duplicate":
                # A retry a few hundred milliseconds later, logged under a fresh id.
                copy["event_id"] = next_event_id
                next_event_id += 1
                copy["event_ts"] = _shift_ms(copy["event_ts"], int(rng.integers(1, 900)))
            extra.append(copy)
    table = pa.table(columns, schema=events.schema)
    if extra:
        table = pa.concat_tables([table, pa.Table.from_pylist(extra, schema=events.schema)])
    order = pc.sort_indices(table, [("event_ts", "ascending"), ("event_id", "ascending")])
    return table.take(order), counts, next_event_id


def _shift_ms(timestamp: str, millis: int) -> str:
    shifted = np.datetime64(timestamp, "ms") + np.timedelta64(millis, "ms")
    # Stay on the same day: the copy belongs to the same daily partition as its original.
    day_end = np.datetime64(timestamp[:10], "D") + np.timedelta64(86_399_999, "ms")
    return str(np.datetime_as_string(min(shifted, day_end), unit="ms"))
