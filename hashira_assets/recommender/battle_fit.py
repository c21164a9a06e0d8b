"""The battle-fit model's win chance as a feature of the purchase ranker.

A slayer plausibly wants the weapons they would win with. Each weapon candidate gets the champion
battle-fit model's calibrated win chance for the shopper's profile (breathing style, level,
strength, dexterity, stamina); accessories, and every candidate when no battle-fit champion exists,
get NaN, which LightGBM treats as missing. The shopper's battle record is left out (counted as no
battles), so no battle fought after a training cut-off reaches the features, and a new shopper
with only a profile gets the same feature as a known one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hashira_assets.battle.features import WEAPON_TYPES, feature_arrays, weapon_type_code
from hashira_assets.battle.model import BattleFitModel
from hashira_assets.raw.vocabulary import BREATHING_STYLES

# A weapon whose style is not a known one; never equal to a shopper's code (-1 when unknown).
NO_WEAPON_STYLE = -2


class WinChance:
    """Win chances of catalog weapons for a shopper, by one battle-fit model version."""

    def __init__(self, model: BattleFitModel, version: str, products: pd.DataFrame) -> None:
        self.model = model
        self.version = str(version)
        weapons = products[products["product_type"].isin(WEAPON_TYPES)]
        ids = weapons.index.to_numpy()
        # Indexed by product id, like every array of CutoffState.
        n = int(products.index.max()) + 1
        self.is_weapon = np.zeros(n, bool)
        self.is_weapon[ids] = True
        styles = {style: code for code, style in enumerate(BREATHING_STYLES)}
        self.columns: dict[str, np.ndarray] = {}
        for name, values in (
            ("weapon_style", weapons["breathing_style"].map(styles).fillna(NO_WEAPON_STYLE)),
            ("weapon_type", weapon_type_code(weapons["product_type"])),
            ("weight_kg", weapons["weight_kg"]),
            ("sharpness", weapons["sharpness"]),
            ("price", weapons["price"]),
        ):
            column = np.zeros(n, np.float64)
            column[ids] = np.asarray(values, np.float64)
            self.columns[name] = column

    def of(self, style_code: int, profile: tuple[float, float, float, float], items: np.ndarray):
        """float32 win chance per item (NaN for what is not a weapon); `profile` is level,
        strength, dexterity, stamina."""
        n = len(items)
        return self.of_rows(np.full(n, style_code), np.tile(np.asarray(profile), (n, 1)), items)

    def of_rows(self, style_codes: np.ndarray, profiles: np.ndarray, items: np.ndarray):
        """`of` for many shoppers at once: row i pairs the shopper of style_codes[i] and
        profiles[i] (level, strength, dexterity, stamina) with items[i]. One model call for
        every row: a call per shopper costs more than its ~100 rows of trees."""
        out = np.full(len(items), np.nan, np.float32)
        hit = self.is_weapon[items]
        weapons = items[hit]
        if len(weapons) == 0:
            return out
        pairs = {name: column[weapons] for name, column in self.columns.items()}
        pairs["slayer_style"] = np.asarray(style_codes, np.float64)[hit]
        for j, name in enumerate(("level", "strength", "dexterity", "stamina")):
            pairs[name] = np.asarray(profiles, np.float64)[hit, j]
        pairs["past_type_battles"] = pairs["past_type_wins"] = np.zeros(len(weapons))
        out[hit] = self.model.predict_arrays(feature_arrays(pairs))
        return out
