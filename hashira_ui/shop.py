"""The Shop page's logic: who the shopper is to the recommender, their views, the events logged."""

from __future__ import annotations

from collections.abc import Iterable

from hashira_assets.raw.vocabulary import BREATHING_STYLES
from hashira_assets.recommender.candidates import Shopper
from hashira_assets.recommender.model import RecommenderModel
from hashira_assets.recommender.serving import parse_profile
from resources.app_database import Account

MAX_VIEWS = 10  # the online store keeps a shopper's last 10 views
LEVELS = (1, 100)


class NeedsOnboarding(LookupError):
    """A new shopper the shop knows nothing about yet: ask the onboarding questions."""


def merge_views(*sources: Iterable[int], limit: int = MAX_VIEWS) -> tuple[int, ...]:
    """Product ids viewed, newest first, without repeats, from several sources (newest first)."""
    seen: list[int] = []
    for source in sources:
        for product_id in source:
            if int(product_id) not in seen:
                seen.append(int(product_id))
    return tuple(seen[:limit])


def profile_text(profile: dict) -> str:
    """The onboarding answers in the recommender's profile syntax."""
    parts = [f"style={profile['breathing_style']}", f"level={int(profile['level'])}"]
    if profile.get("budget"):
        parts.append(f"budget={float(profile['budget'])}")
    return ",".join(parts)


def validate_profile(style: str, level: int, budget: float | None) -> dict:
    """Onboarding answers as a profile dict; raises ValueError with a readable message."""
    if style not in BREATHING_STYLES:
        raise ValueError(f"Pick one of the breathing styles: {', '.join(BREATHING_STYLES)}.")
    if not LEVELS[0] <= int(level) <= LEVELS[1]:
        raise ValueError(f"Level is between {LEVELS[0]} and {LEVELS[1]}.")
    if budget is not None and budget <= 0:
        raise ValueError("A budget is a positive amount (or leave it empty).")
    return {"breathing_style": style, "level": int(level), "budget": budget}


def shopper_for(
    model: RecommenderModel, account: Account, viewed: tuple[int, ...], median_price: float
) -> Shopper:
    """The recommender's view of a signed-in shopper: their history if the model's state knows
    them, else their onboarding profile; raises NeedsOnboarding when there is neither."""
    state = model.state
    customer_id = account.customer_id
    if (
        customer_id is not None
        and 0 <= customer_id < state.n_users
        and state.user_known[customer_id]
    ):
        return Shopper.known(state, customer_id, viewed)
    if not account.profile:
        raise NeedsOnboarding(account.username)
    return Shopper(viewed=viewed, **parse_profile(profile_text(account.profile), median_price))


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
