"""Features of a (slayer, weapon) pair for the battle-fit model, from observable tables only.

One row per battle (training) or per candidate weapon (ranking). Every feature is something the
shop knows at the battle date: the slayer's profile, the weapon's attributes, and the outcomes of
the slayer's earlier battles. A battle's own outcome, and those of battles on the same day or
later, never reach its features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hashira_assets.raw import vocabulary as voc

WEAPON_TYPES: tuple[str, ...] = tuple(t.label for t in voc.PRODUCT_TYPES if t.category == "weapon")
# Pseudo-battles a past success rate is shrunk with, towards an even record: one past win is
# weak evidence, ten are strong.
PRIOR_BATTLES = 2.0
PRIOR_RATE = 0.5
NUMERIC_FEATURES: tuple[str, ...] = (
    "match_style",
    "level",
    "level_weight_diff",
    "strength",
    "dexterity",
    "stamina",
    "weight_kg",
    "sharpness",
    "strength_x_weight",
    "dexterity_x_sharpness",
    "stamina_x_weight",
    "past_type_battles",
    "past_type_success_rate",
    "log_price",
)
CATEGORICAL_FEATURES: tuple[str, ...] = ("weapon_type",)
FEATURES: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES

SLAYER_COLUMNS = ["customer_id", "breathing_style", "level", "strength", "dexterity", "stamina"]
WEAPON_COLUMNS = [
    "product_id",
    "product_type",
    "breathing_style",
    "weight_kg",
    "sharpness",
    "price",
]


def weapon_type_code(labels: pd.Series) -> np.ndarray:
    """Index of each product type label in WEAPON_TYPES; -1 for anything that is not a weapon."""
    lookup = {label: i for i, label in enumerate(WEAPON_TYPES)}
    return labels.map(lookup).fillna(-1).astype(np.int32).to_numpy()


def pair_features(pairs: pd.DataFrame) -> pd.DataFrame:
    """The feature columns of (slayer, weapon) pairs.

    `pairs` holds the slayer's `slayer_style`, `level`, `strength`, `dexterity`, `stamina`, the
    weapon's `weapon_style`, `product_type`, `weight_kg`, `sharpness`, `price`, and the slayer's
    record with that weapon type so far: `past_type_battles`, `past_type_wins`.
    """
    weight = pairs["weight_kg"].astype(np.float64)
    sharpness = pairs["sharpness"].astype(np.float64)
    level = pairs["level"].astype(np.float64)
    battles = pairs["past_type_battles"].astype(np.float64)
    wins = pairs["past_type_wins"].astype(np.float64)
    out = pd.DataFrame(index=pairs.index)
    out["match_style"] = (pairs["slayer_style"] == pairs["weapon_style"]).astype(np.float64)
    out["level"] = level
    # A slayer carries about a kilogram per ten levels with ease; positive means light for them.
    out["level_weight_diff"] = level / 10.0 - weight
    for attribute in ("strength", "dexterity", "stamina"):
        out[attribute] = pairs[attribute].astype(np.float64)
    out["weight_kg"] = weight
    out["sharpness"] = sharpness
    out["strength_x_weight"] = out["strength"] * weight
    out["dexterity_x_sharpness"] = out["dexterity"] * sharpness / 100.0
    out["stamina_x_weight"] = out["stamina"] * weight
    out["past_type_battles"] = battles
    out["past_type_success_rate"] = (wins + PRIOR_BATTLES * PRIOR_RATE) / (battles + PRIOR_BATTLES)
    out["log_price"] = np.log(pairs["price"].astype(np.float64).clip(lower=0.01))
    out["weapon_type"] = weapon_type_code(pairs["product_type"])
    return out


def past_type_record(battles: pd.DataFrame) -> pd.DataFrame:
    """Each battle's slayer record with its weapon type before the battle date.

    `battles` has `customer_id`, `product_type`, `battle_date` and `success`; the result, aligned
    with it, has `past_type_battles` and `past_type_wins` counting only battles of the same slayer
    and weapon type fought on an earlier date (same-day battles are not known yet).
    """
    keys = ["customer_id", "product_type", "battle_date"]
    daily = (
        battles.assign(_win=battles["success"].astype(np.int64), _n=1)
        .groupby(keys, sort=True, observed=True)[["_win", "_n"]]
        .sum()
        .reset_index()
    )
    grouped = daily.groupby(["customer_id", "product_type"], sort=False, observed=True)
    # Cumulative totals up to the previous battle day of the same slayer and type.
    daily["past_type_wins"] = grouped["_win"].cumsum() - daily["_win"]
    daily["past_type_battles"] = grouped["_n"].cumsum() - daily["_n"]
    merged = battles[keys].merge(
        daily[[*keys, "past_type_battles", "past_type_wins"]], on=keys, how="left"
    )
    merged.index = battles.index
    return merged[["past_type_battles", "past_type_wins"]].astype(np.int64)


def battle_frame(
    battles: pd.DataFrame, customers: pd.DataFrame, products: pd.DataFrame
) -> pd.DataFrame:
    """One row per weapon battle: ids, date, features, `success` and (if present) the true odds."""
    slayers = customers[SLAYER_COLUMNS].rename(columns={"breathing_style": "slayer_style"})
    weapons = products[WEAPON_COLUMNS].rename(columns={"breathing_style": "weapon_style"})
    frame = battles.merge(slayers, on="customer_id", how="inner").merge(
        weapons, on="product_id", how="inner"
    )
    frame = frame[frame["product_type"].isin(WEAPON_TYPES)]
    frame = frame.sort_values(["battle_date", "customer_id", "product_id"], kind="stable")
    frame = frame.reset_index(drop=True)
    frame = pd.concat([frame, past_type_record(frame)], axis=1)
    features = pair_features(frame)
    kept = ["customer_id", "product_id", "battle_date", "product_type", "weapon_style", "success"]
    if "success_probability" in frame.columns:
        kept.append("success_probability")
    result = pd.concat([frame[kept], features], axis=1)
    result["success"] = result["success"].astype(bool)
    return result
