"""Ranking the catalog's weapons for one slayer by predicted win chance, with a short reason.

A profile is a plain dict::

    {"style": "Water", "level": 35, "strength": 0.6, "dexterity": 0.4, "stamina": 0.5,
     "past_battles": [{"product_type": "Katana", "success": True}, ...]}

`past_battles` is optional (a new slayer has none); all of them count, as they are in the past.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from hashira_assets.battle.features import WEAPON_COLUMNS, WEAPON_TYPES, pair_features
from hashira_assets.battle.model import BattleFitModel
from hashira_assets.raw.vocabulary import BREATHING_STYLES

# Features that speak to the same quality of a fit, explained together in one phrase.
REASON_GROUPS: dict[str, tuple[str, ...]] = {
    "style": ("match_style",),
    "weight": ("weight_kg", "level_weight_diff", "strength_x_weight", "stamina_x_weight"),
    "edge": ("sharpness", "dexterity_x_sharpness"),
    "record": ("past_type_battles", "past_type_success_rate"),
    "form": ("weapon_type", "strength", "dexterity", "stamina"),
    "level": ("level",),
    "price": ("log_price",),
}
MAX_REASONS = 2
LIGHT_KG = 2.0


class InvalidProfileError(ValueError):
    """A slayer profile is missing a field or holds a value out of range; the message says which."""


def validate_profile(profile: Mapping) -> dict:
    """The profile with its style normalised and numbers checked; raises InvalidProfileError."""
    styles = {s.lower(): s for s in BREATHING_STYLES}
    style = str(profile.get("style", "")).strip().lower().removesuffix(" breathing").strip()
    if style not in styles:
        raise InvalidProfileError(f"style must be one of {', '.join(BREATHING_STYLES)}")
    clean: dict = {"style": styles[style]}
    try:
        clean["level"] = float(profile["level"])
        for key in ("strength", "dexterity", "stamina"):
            clean[key] = float(profile[key])
    except KeyError as exc:
        raise InvalidProfileError(f"profile needs {exc.args[0]!r}") from exc
    except (TypeError, ValueError) as exc:
        raise InvalidProfileError(f"profile numbers must be numbers: {exc}") from exc
    if not (math.isfinite(clean["level"]) and 1 <= clean["level"] <= 100):
        raise InvalidProfileError("level must be between 1 and 100")
    for key in ("strength", "dexterity", "stamina"):
        if not (math.isfinite(clean[key]) and 0 <= clean[key] <= 1):
            raise InvalidProfileError(f"{key} must be between 0 and 1")
    battles = []
    for battle in profile.get("past_battles") or []:
        if (
            not isinstance(battle, Mapping)
            or "product_type" not in battle
            or "success" not in battle
        ):
            raise InvalidProfileError("each past battle needs product_type and success")
        battles.append(
            {"product_type": str(battle["product_type"]), "success": bool(battle["success"])}
        )
    clean["past_battles"] = battles
    return clean


def slayer_pairs(profile: Mapping, weapons: pd.DataFrame) -> pd.DataFrame:
    """One row per catalog weapon with the slayer's columns beside it, ready for pair_features."""
    clean = validate_profile(profile)
    pairs = weapons[weapons["product_type"].isin(WEAPON_TYPES)][WEAPON_COLUMNS].rename(
        columns={"breathing_style": "weapon_style"}
    )
    pairs = pairs.reset_index(drop=True)
    pairs["slayer_style"] = clean["style"]
    for key in ("level", "strength", "dexterity", "stamina"):
        pairs[key] = clean[key]
    record = pd.DataFrame(clean["past_battles"], columns=["product_type", "success"])
    per_type = record.groupby("product_type")["success"].agg(["size", "sum"])
    pairs["past_type_battles"] = pairs["product_type"].map(per_type["size"]).fillna(0).astype(int)
    pairs["past_type_wins"] = pairs["product_type"].map(per_type["sum"]).fillna(0).astype(int)
    return pairs


def _phrase(group: str, row: pd.Series) -> str:
    if group == "style":
        return f"suits your {row['slayer_style']} breathing"
    if group == "weight":
        if row["weight_kg"] <= LIGHT_KG:
            return "light for your strength"
        return f"your strength carries its {row['weight_kg']:.1f} kg"
    if group == "edge":
        return "its edge rewards your dexterity"
    if group == "record":
        wins, battles = int(row["past_type_wins"]), int(row["past_type_battles"])
        return f"you won {wins} of {battles} battles with a {row['product_type']}"
    if group == "form":
        return f"a {row['product_type']} fits your build"
    if group == "level":
        return "right for your level"
    return "good value for its odds"


def reasons(pairs: pd.DataFrame, contributions: pd.DataFrame) -> list[str]:
    """Up to two phrases per row for the feature groups that raised its win chance most."""
    grouped = pd.DataFrame(
        {g: contributions[list(cols)].sum(axis=1) for g, cols in REASON_GROUPS.items()}
    )
    out = []
    for i in range(len(pairs)):
        row, shares = pairs.iloc[i], grouped.iloc[i]
        groups = [g for g in shares.sort_values(ascending=False).index if shares[g] > 0]
        # A past record only explains anything when there is one.
        groups = [g for g in groups if g != "record" or row["past_type_battles"] > 0]
        phrases = [_phrase(g, row) for g in groups[:MAX_REASONS]]
        out.append("; ".join(phrases) if phrases else "no strong fit for your profile")
    return out


def rank_weapons(
    model: BattleFitModel, profile: Mapping, weapons: pd.DataFrame, k: int | None = None
) -> pd.DataFrame:
    """The catalog's weapons, best first: product_id, win_chance and reason (top k if given)."""
    if k is not None and k < 1:
        raise ValueError("k must be at least 1")
    pairs = slayer_pairs(profile, weapons)
    if pairs.empty:
        return pd.DataFrame({"product_id": [], "win_chance": [], "reason": []})
    features = pair_features(pairs)
    chance = model.predict(features)
    # Stable order for equal chances: lower product id first.
    order = np.lexsort((pairs["product_id"].to_numpy(), -chance))
    if k is not None:
        order = order[:k]
    chosen = pairs.iloc[order].reset_index(drop=True)
    contributions = model.contributions(features.iloc[order].reset_index(drop=True))
    return pd.DataFrame(
        {
            "product_id": chosen["product_id"].astype(int),
            "win_chance": chance[order],
            "reason": reasons(chosen, contributions),
        }
    )
