"""What the chat's combat coach needs to know about the signed-in shopper."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hashira_ui.world_data import customer_events, customer_row
from resources.app_database import Account

DEFAULT_ATTRIBUTES = {"strength": 0.5, "dexterity": 0.5, "stamina": 0.5}


def coach_profile(raw_dir: Path, account: Account) -> dict:
    """Style, level and physique: the generated customer's, else the onboarding answers."""
    row = customer_row(raw_dir, account.customer_id) if account.customer_id is not None else None
    if row is not None:
        return {k: row[k] for k in ("breathing_style", "level", "strength", "dexterity", "stamina")}
    profile = account.profile or {}
    return {
        "breathing_style": profile.get("breathing_style"),
        "level": profile.get("level", 1),
        **DEFAULT_ATTRIBUTES,
    }


def owned_weapons(raw_dir: Path, account: Account, catalog: pd.DataFrame) -> list[dict]:
    """Weapons the shopper bought, as catalog rows (most recent first)."""
    if account.customer_id is None:
        return []
    events = customer_events(raw_dir, account.customer_id)
    bought = events[events["event_type"] == "purchase"].sort_values("event_date", ascending=False)
    ids = [p for p in dict.fromkeys(bought["product_id"].tolist()) if p in catalog.index]
    rows = [catalog.loc[p].to_dict() for p in ids]
    return [r for r in rows if r.get("department") == "weapon"]
