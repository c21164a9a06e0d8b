"""The simple forecasters behind sktime's `BaseForecaster` interface, and what all share.

All take `y` as a wide frame (periods x series). The seasonal naive works on all columns at once;
ARAR and the statistical models in `statistical` are univariate, and sktime loops them over
columns; the global LightGBM model (`global_model`) pools all columns in one model.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats
from sktime.forecasting.arar import ARARForecaster
from sktime.forecasting.base import BaseForecaster


def relative_steps(fh, cutoff) -> np.ndarray:
    """Steps ahead of the cutoff (refuses in-sample steps)."""
    steps = np.asarray(fh.to_relative(cutoff), dtype=int)
    if (steps < 1).any():
        raise ValueError("in-sample forecasts are not supported; use steps >= 1")
    return steps


def quantile_frame(values: dict[float, np.ndarray], index, columns) -> pd.DataFrame:
    """sktime's quantile layout: columns (variable, alpha)."""
    alphas = list(values)
    stacked = np.stack([values[a] for a in alphas], axis=2)  # (time, series, alpha)
    frame = pd.DataFrame(
        stacked.reshape(len(index), -1),
        index=index,
        columns=pd.MultiIndex.from_product([list(columns), alphas]),
    )
    return frame


class SeasonalNaiveForecaster(BaseForecaster):
    """Seasonal naive on all columns at once: each day repeats the same weekday of the last season.

    Point forecasts and normal intervals are those of sktime's
    `NaiveForecaster(strategy="last", sp=sp)` (tested to match), without its per-column loop.
    """

    _tags: ClassVar[dict] = {
        "authors": ["hashiramart"],
        "y_inner_mtype": "pd.DataFrame",
        "capability:multivariate": True,
        "capability:exogenous": False,
        "capability:pred_int": True,
        "capability:insample": False,
        "capability:pred_int:insample": False,
        "capability:missing_values": False,
        "requires-fh-in-fit": False,
    }

    # The forecaster keeps what it needs itself; sktime need not store every y and X seen.
    _config: ClassVar[dict] = {"remember_data": False}

    def __init__(self, sp: int = 7):
        self.sp = sp
        super().__init__()

    def _fit(self, y, X=None, fh=None):
        values = y.to_numpy(dtype="float64")
        if len(values) < self.sp:
            raise ValueError(f"seasonal naive needs at least sp={self.sp} observations")
        self._last_season = values[-self.sp :]
        residuals = values[self.sp :] - values[: -self.sp]
        self._se = np.sqrt((residuals**2).mean(axis=0)) if len(residuals) else np.zeros(y.shape[1])
        self._columns = y.columns
        return self

    def _point(self, steps: np.ndarray) -> np.ndarray:
        return self._last_season[(steps - 1) % self.sp]

    def _predict(self, fh, X=None):
        steps = relative_steps(fh, self.cutoff)
        return pd.DataFrame(
            self._point(steps), index=fh.to_absolute_index(self.cutoff), columns=self._columns
        )

    def _predict_quantiles(self, fh, X, alpha):
        steps = relative_steps(fh, self.cutoff)
        point = self._point(steps)
        seasons_ahead = np.sqrt(np.maximum(np.floor((steps - 1) / self.sp) + 1, 1))
        se = seasons_ahead[:, None] * self._se[None, :]
        values = {a: point + se * stats.norm.ppf(a) for a in alpha}
        return quantile_frame(values, fh.to_absolute_index(self.cutoff), self._columns)


class ARAR(ARARForecaster):
    """sktime's ARAR (Brockwell & Davis: memory-shortening filter + subset AR), one fit per
    series; it keeps its fitted state itself, so sktime need not store the data seen."""

    _config: ClassVar[dict] = {"remember_data": False}


def make_arar() -> ARARForecaster:
    """ARAR, Brockwell & Davis' statistical model for short memory."""
    return ARAR()
