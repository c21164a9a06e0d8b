"""Recommendations for the signed-in shopper, and the profile-only cold-start path."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from hashira_api import schemas
from hashira_api.deps import CurrentUser, ShopperUser
from hashira_serving import battle
from hashira_serving import recommendations as recs

router = APIRouter(tags=["recommendations"])


def _out(result: recs.RecommendationList) -> schemas.Recommendations:
    return schemas.Recommendations(
        mode=result.mode,
        model_version=result.model_version,
        items=[schemas.RecommendedItem(**dataclasses.asdict(item)) for item in result.items],
    )


@router.get(
    "/recommendations/me",
    response_model=schemas.Recommendations,
    responses={404: {"model": schemas.Problem}, 409: {"model": schemas.Problem}},
)
def my_recommendations(
    user: ShopperUser,
    mode: Literal["for_you", "similar", "cross_sell"] = "for_you",
    product_id: Annotated[
        list[int] | None,
        Query(description="The product for `similar`, the product(s) for `cross_sell`."),
    ] = None,
    k: Annotated[int, Query(ge=1, le=recs.MAX_K)] = 12,
) -> schemas.Recommendations:
    """For you (history and latest views), similar to a product, or bought together with some."""
    if mode == "for_you":
        return _out(recs.for_account(user, (), k))
    if not product_id:
        raise ValueError(f"mode={mode} needs product_id")
    if mode == "similar":
        if len(product_id) != 1:
            raise ValueError("mode=similar takes exactly one product_id")
        return _out(recs.similar(product_id[0], k))
    if len(product_id) > 20:
        raise ValueError("mode=cross_sell takes at most 20 product ids")
    return _out(recs.cross_sell(product_id, k))


@router.post(
    "/recommend",
    response_model=schemas.Recommendations,
    responses={404: {"model": schemas.Problem}},
)
def recommend_for_profile(body: schemas.Profile, _user: CurrentUser) -> schemas.Recommendations:
    """Cold start: recommendations from a slayer's profile and recently viewed products, or
    (`by=battle_fit`) the weapons most likely to win their battles."""
    if body.by == "battle_fit":
        picks = battle.best_for_battles(
            {
                "style": body.breathing_style,
                "level": body.level,
                **{k: getattr(body, k) if getattr(body, k) is not None else 0.5
                   for k in ("strength", "dexterity", "stamina")},
            },
            body.k,
        )  # fmt: skip
        items = [
            schemas.RecommendedItem(
                product_id=p.product_id, rank=rank, score=round(p.win_chance, 6),
                reason=f"{p.win_chance:.0%} predicted win chance: {p.reason}", name=p.name,
                explored=False,
            )
            for rank, p in enumerate(picks, start=1)
        ]  # fmt: skip
        version = picks[0].model_version if picks else battle.shared_service().champion()[1]
        return schemas.Recommendations(mode="battle_fit", model_version=version, items=items)
    profile = body.model_dump(exclude={"viewed", "k", "by"})
    return _out(recs.for_profile(profile, body.viewed, body.k))
