"""The shoppers who signed up in the app, as the graph lands them: one row per shopper account
with an app customer id, its onboarding answers and its sign-up time."""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa

from resources.app_database import APP_CUSTOMER_ID_BASE, AppDatabaseResource, accounts


def app_shoppers_frame(app_database: AppDatabaseResource) -> pd.DataFrame:
    """customer_id, username, display_name, breathing_style, level and created_at of every
    shopper whose customer id the app gave out (generated customers are already in the world)."""
    query = (
        sa.select(
            accounts.c.customer_id,
            accounts.c.username,
            accounts.c.display_name,
            accounts.c.profile_json,
            accounts.c.created_at,
        )
        .where(accounts.c.role == "shopper", accounts.c.customer_id >= APP_CUSTOMER_ID_BASE)
        .order_by(accounts.c.customer_id)
    )
    with app_database.engine().connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:
        profile = json.loads(row.pop("profile_json") or "{}")
        row["breathing_style"] = profile.get("breathing_style")
        row["level"] = int(profile.get("level") or 1)
    columns = ["customer_id", "username", "display_name", "breathing_style", "level", "created_at"]
    return pd.DataFrame(rows, columns=columns)
