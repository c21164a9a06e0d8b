"""Reconciling product, category and total forecasts so that they add up.

Three methods, chosen by backtest:

- `bottom_up`: products as forecast; a category is the sum of its products, the total the sum of
  the categories.
- `middle_out`: categories as forecast; each category's products are scaled to add up to it (in
  the proportions the product model forecast), the total is the sum of the categories.
- `top_down`: the total as forecast; categories are scaled to add up to it, then products to
  their category (top-down with forecast proportions).

A level's quantiles move with its mean. A forecast that carries its calibrated distribution (the
global model's) gets that distribution's quantiles at the new mean; any other is scaled by the
same factor where the level's own mean is positive, shifted by the same amount where it is zero.
Everything is clipped at zero first: demand is never negative.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from hashira_assets.forecast.intervals import IntervalCalibration

RECONCILIATION_METHODS = ("bottom_up", "middle_out", "top_down")


@dataclasses.dataclass
class LevelForecast:
    """One level's forecasts: the mean and quantiles, each days x series, and the calibrated
    distribution the quantiles come from when the model has one (None: only the quantiles)."""

    mean: pd.DataFrame
    quantiles: dict[float, pd.DataFrame]
    calibration: IntervalCalibration | None = None

    def __post_init__(self):
        # sktime may hand quantile columns back in another order (sorted as text): align them.
        self.quantiles = {
            float(a): q.reindex(index=self.mean.index, columns=self.mean.columns)
            for a, q in self.quantiles.items()
        }

    def clipped(self) -> LevelForecast:
        """The same forecast with every value at least zero."""
        return LevelForecast(
            self.mean.clip(lower=0.0),
            {a: q.clip(lower=0.0) for a, q in self.quantiles.items()},
            self.calibration,
        )

    def with_intervals(self, calibration: IntervalCalibration) -> LevelForecast:
        """The same mean and median with every other quantile from `calibration` at the mean,
        kept on the right side of the median."""
        mean = self.mean.to_numpy(dtype="float64")
        median = self.quantiles[0.5].to_numpy(dtype="float64")
        quantiles = {0.5: self.quantiles[0.5]}
        for alpha in self.quantiles:
            if alpha == 0.5:
                continue
            values = calibration.quantile(alpha, mean)
            values = np.minimum(values, median) if alpha < 0.5 else np.maximum(values, median)
            quantiles[alpha] = pd.DataFrame(
                values, index=self.mean.index, columns=self.mean.columns
            )
        return LevelForecast(self.mean, dict(sorted(quantiles.items())), calibration)


def _shares(parts: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Each part's share of its group's sum per day (equal shares where the group sums to 0)."""
    sums = np.zeros((parts.shape[0], n_groups))
    for g in range(n_groups):
        sums[:, g] = parts[:, groups == g].sum(axis=1)
    counts = np.bincount(groups, minlength=n_groups).astype("float64")
    group_sum = sums[:, groups]
    equal = np.broadcast_to(1.0 / counts[groups], parts.shape)
    return np.divide(parts, group_sum, out=equal.copy(), where=group_sum > 0)


def _sum_by_group(parts: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.zeros((parts.shape[0], n_groups))
    for g in range(n_groups):
        out[:, g] = parts[:, groups == g].sum(axis=1)
    return out


def _move_with_mean(forecast: LevelForecast, mean: np.ndarray) -> LevelForecast:
    frame = pd.DataFrame(mean, index=forecast.mean.index, columns=forecast.mean.columns)
    own = forecast.mean.to_numpy(dtype="float64")
    if np.array_equal(own, mean):
        return LevelForecast(frame, forecast.quantiles, forecast.calibration)
    calibration = forecast.calibration
    if calibration is not None:
        quantiles = {
            a: pd.DataFrame(
                np.maximum(calibration.quantile(a, mean), 0.0), index=q.index, columns=q.columns
            )
            for a, q in forecast.quantiles.items()
        }
        return LevelForecast(frame, quantiles, calibration)
    ratio = np.divide(mean, own, out=np.ones_like(own), where=own > 0)
    shift = np.where(own > 0, 0.0, mean - own)
    quantiles = {
        a: pd.DataFrame(
            np.maximum(q.to_numpy(dtype="float64") * ratio + shift, 0.0),
            index=q.index,
            columns=q.columns,
        )
        for a, q in forecast.quantiles.items()
    }
    return LevelForecast(frame, quantiles)


def reconcile(
    forecasts: dict[str, LevelForecast], category_of: pd.Series, method: str
) -> dict[str, LevelForecast]:
    """Coherent forecasts: products add up to their category and categories to the total.

    `category_of` maps each product column to its category column.
    """
    if method not in RECONCILIATION_METHODS:
        raise ValueError(f"unknown reconciliation {method!r}; use one of {RECONCILIATION_METHODS}")
    product, category, total = (forecasts[k].clipped() for k in ("product", "category", "total"))
    categories = list(category.mean.columns)
    position = {c: i for i, c in enumerate(categories)}
    try:
        groups = np.array([position[c] for c in category_of.reindex(product.mean.columns)])
    except KeyError as exc:
        raise ValueError(f"a product's category {exc} has no category forecast") from exc
    n_groups = len(categories)
    p = product.mean.to_numpy(dtype="float64")
    c = category.mean.to_numpy(dtype="float64")
    t = total.mean.to_numpy(dtype="float64")
    if method == "bottom_up":
        c_new = _sum_by_group(p, groups, n_groups)
        p_new = p
    elif method == "middle_out":
        c_new = c
        p_new = _shares(p, groups, n_groups) * c_new[:, groups]
    else:
        c_new = _shares(c, np.zeros(n_groups, dtype=int), 1) * t
        p_new = _shares(p, groups, n_groups) * c_new[:, groups]
    t_new = c_new.sum(axis=1, keepdims=True)
    return {
        "product": _move_with_mean(product, p_new),
        "category": _move_with_mean(category, c_new),
        "total": _move_with_mean(total, t_new),
    }


def incoherence(forecasts: dict[str, LevelForecast], category_of: pd.Series) -> float:
    """Largest absolute gap between a category and its products' sum, or the total and the
    categories' sum (0 for perfectly coherent forecasts)."""
    product, category = forecasts["product"].mean, forecasts["category"].mean
    summed = product.T.groupby(category_of.reindex(product.columns).to_numpy()).sum().T
    gap = (summed.reindex(columns=category.columns).fillna(0.0) - category).abs().to_numpy().max()
    total_gap = (category.sum(axis=1) - forecasts["total"].mean.iloc[:, 0]).abs().max()
    return float(max(gap, total_gap))
