"""Shop events onto the event bus, training logs, and the Dojo (shoppers)."""

from __future__ import annotations

import datetime as dt
import secrets

from fastapi import APIRouter, status

from hashira_api import schemas
from hashira_api.deps import ShopperUser
from hashira_serving import events

router = APIRouter(tags=["events"])


@router.post(
    "/events",
    response_model=schemas.EventOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses={404: {"model": schemas.Problem}},
)
def log_event(body: schemas.EventIn, user: ShopperUser) -> schemas.EventOut:
    """A view, cart, purchase or return (onto the event bus), or a training session."""
    if body.event_type == "training":
        if body.minutes is None:
            raise ValueError("a training event needs minutes")
        events.log_training(user, body.minutes, dt.datetime.now(dt.UTC).date())
        return schemas.EventOut(
            accepted=True, event_type="training", detail=f"+{body.minutes // 10} Dojo points"
        )
    if body.product_id is None:
        raise ValueError(f"a {body.event_type} event needs product_id")
    session_id = body.session_id or secrets.randbelow(2**62 - 1) + 1
    stored = events.publish_shop_event(
        user, session_id, body.product_id, body.event_type, body.quantity
    )
    return schemas.EventOut(
        accepted=True,
        event_type=body.event_type,
        event_id=stored["event_id"],
        detail="published on the event bus",
    )


@router.get("/dojo/me", response_model=schemas.Dojo)
def my_dojo(user: ShopperUser) -> schemas.Dojo:
    """Nichirin points, rank and streaks."""
    score = events.dojo(user).score
    nxt = score.next_rank
    return schemas.Dojo(
        rank=score.rank,
        points=score.total,
        battle_points=score.battle_points,
        streak_points=score.streak_points,
        training_points=score.training_points,
        battles_won=score.battles_won,
        battles_lost=score.battles_lost,
        current_streak=score.current_streak,
        longest_streak=score.longest_streak,
        next_rank=nxt[0] if nxt else None,
        points_to_next_rank=nxt[1] if nxt else None,
    )
