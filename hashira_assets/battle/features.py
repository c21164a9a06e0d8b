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


# What feature_arrays reads: pair_features' columns, with the weapon type as its code.
PAIR_INPUTS = (
    "slayer_style", "level", "strength", "dexterity", "stamina", "weapon_style", "weight_kg",
    "sharpness", "price", "past_type_battles", "past_type_wins",
)  # fmt: skip


def pair_features(pairs: pd.DataFrame) -> pd.DataFrame:
    """The feature columns of (slayer, weapon) pairs.

    `pairs` holds the slayer's `slayer_style`, `level`, `strength`, `dexterity`, `stamina`, the
    weapon's `weapon_style`, `product_type`, `weight_kg`, `sharpness`, `price`, and the slayer's
    record with that weapon type so far: `past_type_battles`, `past_type_wins`.
    """
    arrays = {name: pairs[name].to_numpy() for name in PAIR_INPUTS}
    arrays["weapon_type"] = weapon_type_code(pairs["product_type"])
    return pd.DataFrame(feature_arrays(arrays), index=pairs.index)


def feature_arrays(pairs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The feature columns, in FEATURES order, from arrays of PAIR_INPUTS plus `weapon_type`
    (its code): the one implementation behind pair_features and the purchase ranker's per-request
    win chance, where a data frame would cost more than the prediction. The two styles only
    need to be comparable (labels or codes)."""
    weight = np.asarray(pairs["weight_kg"], np.float64)
    sharpness = np.asarray(pairs["sharpness"], np.float64)
    level = np.asarray(pairs["level"], np.float64)
    battles = np.asarray(pairs["past_type_battles"], np.float64)
    wins = np.asarray(pairs["past_type_wins"], np.float64)
    physique = {a: np.asarray(pairs[a], np.float64) for a in ("strength", "dexterity", "stamina")}
    out = {
        "match_style": (
            np.asarray(pairs["slayer_style"]) == np.asarray(pairs["weapon_style"])
        ).astype(np.float64),
        "level": level,
        # A slayer carries about a kilogram per ten levels with ease; positive: light for them.
        "level_weight_diff": level / 10.0 - weight,
        **physique,
        "weight_kg": weight,
        "sharpness": sharpness,
        "strength_x_weight": physique["strength"] * weight,
        "dexterity_x_sharpness": physique["dexterity"] * sharpness / 100.0,
        "stamina_x_weight": physique["stamina"] * weight,
        "past_type_battles": battles,
        "past_type_success_rate": (wins + PRIOR_BATTLES * PRIOR_RATE) / (battles + PRIOR_BATTLES),
        "log_price": np.log(np.clip(np.asarray(pairs["price"], np.float64), 0.01, None)),
        "weapon_type": np.asarray(pairs["weapon_type"], np.int32),
    }
    return {name: out[name] for name in FEATURES}


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
