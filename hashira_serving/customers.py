"""A customer's published rows: what silver knows of a shopper, for the chat and the Dojo."""

from __future__ import annotations

import pandas as pd
import pyarrow.compute as pc

from hashira_serving.context import published_table


def customer_events(customer_id: int | None):
    """A customer's published (silver) events: product, type and day, as pandas."""
    if customer_id is None:
        return pd.DataFrame({"product_id": [], "event_type": [], "event_date": []})
    events = published_table(
        "silver", "interaction_events", "silver_interaction_events",
        ["customer_id", "product_id", "event_type", "event_date"],
    )  # fmt: skip
    mine = events.filter(pc.equal(events["customer_id"], customer_id))
    return mine.select(["product_id", "event_type", "event_date"]).to_pandas()
