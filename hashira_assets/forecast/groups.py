"""Forecasting a level with more series than one sktime frame handles well: in groups of series.

sktime 1.2 looks a wide frame's column types up one column at a time when it checks and converts
it (`get_cutoff` and `_coerce_df_dtypes` evaluate `frame.dtypes[column]` per column), and each
lookup rebuilds the dtypes of every column: one `fit` or `predict` takes time quadratic in the
number of series. That is 0.5 s at 5,000 columns and, extrapolated, minutes per call at `hm`'s
105,000 products, where a backtest makes a dozen such calls (the first `hm` run stopped there).

A level with more than `MAX_GROUP_SERIES` series is therefore forecast in groups of series, one
clone of the model per group, and the forecasts put back together in the level's column order.
For per-series models (the seasonal naive) that is exactly the same forecast. The global
LightGBM model learns one model per group, each from as many series as `medium`'s whole product
level, where its settings were chosen. A group takes every n-th series (round robin), not a run
of consecutive ones: products are numbered in launch order, so a run of the last ones had not
launched by an early backtest cut-off and gave the model of that group nothing to learn from (the
first `hm` run of the forecaster failed so). Levels within the limit (every preset but `hm`) are
forecast by the model itself, unchanged.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hashira_assets.forecast.intervals import IntervalCalibration
from hashira_assets.forecast.series import SERIES_COLUMN_SEPARATOR

# `medium`'s product level: the most series the models were tuned and measured on in one frame.
MAX_GROUP_SERIES = 10_000


def group_members(n_series: int, max_series: int = MAX_GROUP_SERIES) -> list[np.ndarray]:
    """Column positions of the fewest groups of at most `max_series` each: group g holds
    positions g, g + n_groups, g + 2 n_groups, ..., so every group spans the whole level (old and
    new products alike) and sizes differ by at most one."""
    if n_series < 1:
        raise ValueError("no series to group")
    if max_series < 1:
        raise ValueError(f"max_series must be at least 1, got {max_series}")
    n_groups = math.ceil(n_series / max_series)
    return [np.arange(g, n_series, n_groups) for g in range(n_groups)]


def in_level_order(parts: list[pd.DataFrame], columns: pd.Index) -> pd.DataFrame:
    """The groups' frames side by side, reordered to the level's series order; with (series,
    alpha) columns each series keeps its alphas in their order."""
    joined = pd.concat(parts, axis=1)
    position = {name: i for i, name in enumerate(columns)}
    labels = joined.columns.get_level_values(0)
    return joined.iloc[:, np.argsort([position[name] for name in labels], kind="stable")]


def group_exogenous(X: pd.DataFrame | None, series_ids) -> pd.DataFrame | None:
    """The exogenous columns of a group: every shared column (the calendar) and the per-series
    columns (`<feature>:<series id>`) of the group's series."""
    if X is None:
        return None
    wanted = {str(s) for s in series_ids}
    keep = [
        column
        for column in X.columns
        if SERIES_COLUMN_SEPARATOR not in str(column)
        or str(column).split(SERIES_COLUMN_SEPARATOR, 1)[1] in wanted
    ]
    return X[keep]


class GroupedCalibration:
    """Each group's interval calibration applied to its own series (the last axis of the
    arrays, in the level's column order): what `IntervalCalibration` offers a forecast."""

    def __init__(self, members: list[np.ndarray], calibrations: list[IntervalCalibration]):
        self.members = members
        self.calibrations = calibrations

    def _per_group(self, compute, *arrays) -> np.ndarray:
        arrays = [np.asarray(a, dtype="float64") for a in arrays]
        out = np.empty(np.broadcast_shapes(*(a.shape for a in arrays)), dtype="float64")
        for members, calibration in zip(self.members, self.calibrations, strict=True):
            out[..., members] = compute(calibration, *(a[..., members] for a in arrays))
        return out

    def quantile(self, q: float, mean) -> np.ndarray:
        """Quantile q around each mean, from its group's calibration."""
        return self._per_group(lambda c, m: c.quantile(q, m), mean)

    def coverage(self, actual, mean, lower: float, upper: float) -> np.ndarray:
        """Per point, the share of the actual the group's [lower, upper] range covers."""
        return self._per_group(lambda c, a, m: c.coverage(a, m, lower, upper), actual, mean)


class GroupedForecaster:
    """A forecaster fitted as one clone per group of series: `fit`, `predict`,
    `predict_quantiles` and `clone` as sktime's forecasters offer them, on the whole wide frame."""

    def __init__(self, forecaster, max_series: int = MAX_GROUP_SERIES):
        self.forecaster = forecaster
        self.max_series = max_series

    def clone(self) -> GroupedForecaster:
        """An unfitted copy with the same settings."""
        return GroupedForecaster(self.forecaster.clone(), self.max_series)

    def _groups(self):
        for members, model in zip(self.members_, self.models_, strict=True):
            yield self.columns_[members], model

    def fit(self, y: pd.DataFrame, X: pd.DataFrame | None = None, fh=None) -> GroupedForecaster:
        """Fit one clone of the forecaster per group of `y`'s columns."""
        self.columns_ = y.columns
        self.members_ = group_members(y.shape[1], self.max_series)
        self.models_ = []
        for members in self.members_:
            model = self.forecaster.clone()
            model.fit(y.iloc[:, members], X=group_exogenous(X, y.columns[members]), fh=fh)
            self.models_.append(model)
        return self

    def predict(self, fh=None, X: pd.DataFrame | None = None) -> pd.DataFrame:
        """Every group's point forecast, in the fitted columns' order."""
        parts = [m.predict(fh, X=group_exogenous(X, cols)) for cols, m in self._groups()]
        return in_level_order(parts, self.columns_)

    def predict_quantiles(self, fh=None, X: pd.DataFrame | None = None, alpha=None):
        """Every group's quantiles in sktime's (variable, alpha) columns, fitted columns' order."""
        parts = [
            m.predict_quantiles(fh, X=group_exogenous(X, cols), alpha=alpha)
            for cols, m in self._groups()
        ]
        return in_level_order(parts, self.columns_)

    @property
    def interval_calibration(self) -> GroupedCalibration | None:
        """The groups' calibrated distributions, when the model has one (None otherwise)."""
        calibrations = [getattr(m, "interval_calibration", None) for m in self.models_]
        if any(c is None for c in calibrations):
            return None
        return GroupedCalibration(self.members_, calibrations)


def in_groups(forecaster, n_series: int, max_series: int | None = None):
    """The forecaster itself for at most `max_series` (default `MAX_GROUP_SERIES`) series, else
    one per group of series."""
    limit = MAX_GROUP_SERIES if max_series is None else max_series
    return forecaster if n_series <= limit else GroupedForecaster(forecaster, limit)
