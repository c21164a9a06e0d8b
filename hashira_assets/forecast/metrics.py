"""Forecast accuracy over many series at once: MASE, sMAPE, bias and interval coverage.

Arrays are (days, series). How each metric is pooled over series, and why:

- **MASE** is computed per series and averaged over series (the M4 convention). A series' scale is
  the mean absolute error of the seasonal-naive forecast `y[t] - y[t - sp]` in its training
  window, counted from its first sale on, as M5 does (a product's zeros before its launch say
  nothing about how hard it is to forecast); with `active_only=False` it is exactly sktime's
  `mean_absolute_scaled_error(sp=sp)`. A series whose scale is zero (it never sold, or sold the
  same every season) has no MASE: it is left out of the mean and counted, never turned into an
  infinity or a made-up number. `pooled_mase` (all absolute errors over all scales) weighs
  series by volume and is reported too.
- **sMAPE** is averaged over all (day, series) points; a point where both the actual and the
  forecast are zero is a perfect forecast (0), not 0/0.
- **Bias** is `sum(forecast - actual) / sum(actual)`: +0.05 means 5% too much in total.
- **Coverage** is the share of (day, series) points inside the interval, bounds included.
"""

from __future__ import annotations

import numpy as np


def _as_2d(values) -> np.ndarray:
    array = np.asarray(values, dtype="float64")
    return array.reshape(-1, 1) if array.ndim == 1 else array


def seasonal_scale(y_train, sp: int, active_only: bool = True) -> np.ndarray:
    """Per series: mean |y[t] - y[t - sp]| over the training window (NaN if too short). With
    active_only, only pairs from the series' first non-zero value on count (as M5's scale): a
    product's zeros before it was launched are not evidence of how hard it is to forecast."""
    y = _as_2d(y_train)
    if len(y) <= sp:
        return np.full(y.shape[1], np.nan)
    diffs = np.abs(y[sp:] - y[:-sp])
    if not active_only:
        return diffs.mean(axis=0)
    nonzero = y != 0
    first = np.where(nonzero.any(axis=0), nonzero.argmax(axis=0), len(y))
    counted = np.arange(sp, len(y))[:, None] - sp >= first[None, :]
    n = counted.sum(axis=0)
    total = np.where(counted, diffs, 0.0).sum(axis=0)
    return np.divide(total, n, out=np.full(y.shape[1], np.nan), where=n > 0)


def mase_per_series(y_test, y_pred, scale) -> np.ndarray:
    """Per series: mean absolute error over the test window divided by its scale; NaN where the
    scale is zero or undefined."""
    mae = np.abs(_as_2d(y_test) - _as_2d(y_pred)).mean(axis=0)
    scale = np.asarray(scale, dtype="float64")
    out = np.full(mae.shape, np.nan)
    valid = np.isfinite(scale) & (scale > 0)
    out[valid] = mae[valid] / scale[valid]
    return out


def mase(y_test, y_pred, y_train, sp: int, active_only: bool = True) -> float:
    """Mean over series of the per-series MASE; series without a defined scale are left out (NaN
    if none is left)."""
    per_series = mase_per_series(y_test, y_pred, seasonal_scale(y_train, sp, active_only))
    valid = per_series[np.isfinite(per_series)]
    return float(valid.mean()) if len(valid) else float("nan")


def pooled_mase(y_test, y_pred, y_train, sp: int, active_only: bool = True) -> float:
    """Sum of all absolute errors over the sum of the series' scaled naive errors (volume-weighted);
    series without a defined scale are left out."""
    scale = seasonal_scale(y_train, sp, active_only)
    valid = np.isfinite(scale)
    errors = np.abs(_as_2d(y_test) - _as_2d(y_pred))[:, valid]
    denominator = scale[valid].sum() * errors.shape[0]
    return float(errors.sum() / denominator) if denominator > 0 else float("nan")


def undefined_scale_count(y_train, sp: int, active_only: bool = True) -> int:
    """How many series have no MASE (zero or undefined seasonal-naive scale)."""
    scale = seasonal_scale(y_train, sp, active_only)
    return int((~(np.isfinite(scale) & (scale > 0))).sum())


def smape(y_test, y_pred) -> float:
    """Symmetric MAPE, mean of 2|y - f| / (|y| + |f|) over all points; 0 where both are zero."""
    y, f = _as_2d(y_test), _as_2d(y_pred)
    denominator = np.abs(y) + np.abs(f)
    terms = np.divide(
        2 * np.abs(y - f), denominator, out=np.zeros_like(denominator), where=denominator > 0
    )
    return float(terms.mean())


def bias(y_test, y_pred) -> float:
    """Relative bias sum(f - y) / sum(y); NaN when nothing was sold."""
    y, f = _as_2d(y_test), _as_2d(y_pred)
    total = y.sum()
    return float((f - y).sum() / total) if total > 0 else float("nan")


def coverage(y_test, lower, upper) -> float:
    """Share of points with lower <= actual <= upper."""
    y = _as_2d(y_test)
    inside = (y >= _as_2d(lower)) & (y <= _as_2d(upper))
    return float(inside.mean())
