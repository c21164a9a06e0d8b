"""The shop at a glance for staff, from the published tables: sizes, daily sales, the catalog."""

from __future__ import annotations

import pandas as pd

from hashira_serving import catalog
from hashira_serving.cache import DATA_TTL, cache, home_key
from hashira_serving.context import published_table
from hashira_serving.errors import NotMaterializedError

_frames = cache(ttl=DATA_TTL, max_entries=8)


def table_sizes() -> dict[str, int]:
    """Rows in the published customer, product and event tables."""

    def load() -> dict[str, int]:
        return {
            "customers": published_table(
                "silver", "customers", "silver_customers", ["customer_id"]
            ).num_rows,
            "products": len(catalog.products()),
            "events": published_table(
                "silver", "interaction_events", "silver_interaction_events", ["event_id"]
            ).num_rows,
            "quarantined events": _quarantined(),
        }

    return _frames.get(("sizes", home_key()), load)


def _quarantined() -> int:
    """Quarantined events; silver writes no file when it rejected none."""
    try:
        return published_table(
            "silver", "quarantined_interaction_events", "quarantined_interaction_events",
            ["reject_reason"],
        ).num_rows  # fmt: skip
    except NotMaterializedError:
        return 0


def daily_sales() -> pd.DataFrame:
    """Units and revenue per day from gold's daily_total_sales, indexed by date."""

    def load() -> pd.DataFrame:
        frame = published_table(
            "gold", "daily_total_sales", "daily_total_sales", ["event_date", "units", "revenue"]
        ).to_pandas()
        frame["event_date"] = pd.to_datetime(frame["event_date"])
        return frame.set_index("event_date").sort_index()

    return _frames.get(("daily_sales", home_key()), load)
