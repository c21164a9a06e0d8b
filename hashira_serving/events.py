"""Shop events from the app and the API onto the event bus, training logs, and Dojo points."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pyarrow.compute as pc

from hashira_serving import catalog
from hashira_serving.context import app_db, event_bus, published_table
from hashira_serving.customers import customer_events
from hashira_serving.dojo_points import DojoScore, dojo_score
from resources.app_database import SHOP_EVENT_TYPES, Account

EVENT_TYPES = (*SHOP_EVENT_TYPES, "training")
MAX_QUANTITY = 100
MAX_TRAINING_MINUTES = 1440


def shop_event(
    account: Account, session_id: int, product: dict, event_type: str, quantity: int = 1
) -> dict:
    """One event in the generator's raw event schema (the bus assigns event_id and time)."""
    return {
        "session_id": session_id,
        "customer_id": account.customer_id,
        "product_id": int(product["product_id"]),
        "event_type": event_type,
        "price": float(product["price"]),
        "quantity": quantity,
    }


def publish_shop_event(
    account: Account, session_id: int, product_id: int, event_type: str, quantity: int = 1
) -> dict:
    """Validate and publish one view, cart, purchase or return; returns the event as stored."""
    if account.customer_id is None:
        raise PermissionError("Only shoppers log shop events.")
    if event_type not in SHOP_EVENT_TYPES:
        raise ValueError(f"event_type must be one of {', '.join(EVENT_TYPES)}")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValueError(f"quantity must be between 1 and {MAX_QUANTITY}")
    product = catalog.product(product_id)
    event = shop_event(account, session_id, product, event_type, quantity)
    ids = event_bus().publish([event])
    return {**event, "event_id": int(ids[0]) if ids else None}


def log_training(account: Account, minutes: int, day: dt.date) -> None:
    """Record a training session (Dojo points: +1 per 10 minutes)."""
    if account.customer_id is None:
        raise PermissionError("Only shoppers log training.")
    if not 1 <= minutes <= MAX_TRAINING_MINUTES:
        raise ValueError(f"minutes must be between 1 and {MAX_TRAINING_MINUTES}")
    if day > dt.datetime.now(dt.UTC).date():
        raise ValueError("a training day cannot be in the future")
    app_db().log_training(account.customer_id, int(minutes), day)


def customer_battles(customer_id: int | None) -> pd.DataFrame:
    """Battle outcomes of the weapons a customer bought, from the landed raw zone."""
    if customer_id is None:
        return pd.DataFrame({"battle_date": [], "product_id": [], "success": []})
    battles = published_table("raw", "battle_outcomes", "lake_raw_battle_outcomes")
    return battles.filter(pc.equal(battles["customer_id"], customer_id)).to_pandas()


@dataclasses.dataclass(frozen=True)
class Dojo:
    """A shopper's Dojo: points, rank and streaks, with their recent battles."""

    score: DojoScore
    battles: pd.DataFrame


def dojo(account: Account, today: dt.date | None = None) -> Dojo:
    """Points from published events, app events, battle outcomes and logged training."""
    today = today or dt.datetime.now(dt.UTC).date()
    published = customer_events(account.customer_id)
    battles = customer_battles(account.customer_id)
    db = app_db()
    if account.customer_id is None:
        app_events = pd.DataFrame({"event_ts": []})
        training = pd.DataFrame({"minutes": []})
    else:
        app_events = db.events_of_customer(account.customer_id)
        training = db.training_of_customer(account.customer_id)
    active_days = set(pd.to_datetime(published["event_date"]).dt.date) | set(
        pd.to_datetime(app_events["event_ts"]).dt.date
    )
    score = dojo_score(
        battles["success"].tolist(), active_days, training["minutes"].tolist(), today
    )
    return Dojo(score, battles)
