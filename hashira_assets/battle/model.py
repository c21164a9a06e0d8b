"""The battle-fit model: a LightGBM booster with Platt calibration, saved as a plain folder."""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from hashira_assets.battle.features import CATEGORICAL_FEATURES, FEATURES

BOOSTER_FILE = "booster.txt"
CALIBRATION_FILE = "calibration.json"
# Bumped when the feature definitions change, so a champion built on other features is not
# scored against data it was not made for.
FEATURE_VERSION = 1


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class IncompatibleModelError(ValueError):
    """A saved model was built on features this code no longer produces."""


class BattleFitModel:
    """Calibrated win chances of (slayer, weapon) pairs from their feature rows."""

    def __init__(self, booster: lgb.Booster, slope: float, intercept: float) -> None:
        self.booster = booster
        self.slope = float(slope)
        self.intercept = float(intercept)

    def raw_score(self, features: pd.DataFrame) -> np.ndarray:
        """The booster's margin (log-odds before calibration)."""
        return self.booster.predict(_matrix(features), raw_score=True)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of winning, one per row."""
        return sigmoid(self.slope * self.raw_score(features) + self.intercept)

    def predict_arrays(self, columns: dict[str, np.ndarray]) -> np.ndarray:
        """`predict` for feature columns given as arrays (features.feature_arrays)."""
        matrix = np.column_stack([columns[name] for name in FEATURES]).astype(np.float64)
        margin = self.booster.predict(matrix, raw_score=True, num_threads=1)
        return sigmoid(self.slope * margin + self.intercept)

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """Each feature's additive share of each row's margin (TreeSHAP), without the bias."""
        values = self.booster.predict(_matrix(features), pred_contrib=True)
        return pd.DataFrame(values[:, :-1], columns=list(FEATURES), index=features.index)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(folder / BOOSTER_FILE))
        meta = {
            "slope": self.slope,
            "intercept": self.intercept,
            "features": list(FEATURES),
            "feature_version": FEATURE_VERSION,
        }
        (folder / CALIBRATION_FILE).write_text(json.dumps(meta, indent=2))

    @classmethod
    def load(cls, folder: Path) -> BattleFitModel:
        """Load a saved model; raises IncompatibleModelError for one built on other features."""
        meta = json.loads((Path(folder) / CALIBRATION_FILE).read_text())
        if meta.get("feature_version") != FEATURE_VERSION or meta.get("features") != list(FEATURES):
            raise IncompatibleModelError(
                f"model in {folder} uses feature version {meta.get('feature_version')}, "
                f"this code builds version {FEATURE_VERSION}"
            )
        booster = lgb.Booster(model_file=str(Path(folder) / BOOSTER_FILE))
        return cls(booster, meta["slope"], meta["intercept"])


def find_model_dir(folder: Path) -> Path:
    """The folder holding a saved model inside a download (MLflow may nest it one level)."""
    found = sorted(Path(folder).rglob(CALIBRATION_FILE))
    if not found:
        raise FileNotFoundError(f"no battle-fit model under {folder}")
    return found[0].parent


def _matrix(features: pd.DataFrame) -> pd.DataFrame:
    frame = features[list(FEATURES)].copy()
    for name in CATEGORICAL_FEATURES:
        frame[name] = frame[name].astype(np.int32)
    return frame
