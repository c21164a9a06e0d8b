"""Predictive distributions around a mean forecast, calibrated on forecasts of held-out days.

Two families, chosen by the data:

- **negative binomial** for counts (every value a non-negative integer, as units sold): variance
  `mean + dispersion * mean^2`, Poisson at dispersion 0;
- **normal** for anything else (net units after returns can be negative, macro series are
  real-valued): standard deviation `sd`.

The parameter is calibrated per forecast-size bin so that the 80% and 95% central intervals cover
what they claim on forecasts of days the model did not see. For counts, coverage is measured the
randomized way (Czado, Gneiting & Held 2009): an actual y counts as covered by the central
interval (a, b) with the share of its probability step [F(y-1), F(y)] that lies in [a, b]. A
product that sells nothing on 90% of days has the 80% interval [0, 0], which *contains* 90% of
such days: plainly counted, a calibrated count forecast over-covers (the generator's own
expected demand with Poisson intervals covers 95% of product-days "80%" intervals at `medium`),
and a calibration that chases the plain count picks the wrong dispersion. The randomized count
is 80% exactly when the distribution is right, whatever the discreteness.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from scipy import special, stats

NEGATIVE_BINOMIAL = "negative_binomial"
NORMAL = "normal"
FAMILIES = (NEGATIVE_BINOMIAL, NORMAL)
# Interval levels calibrated for: (lower, upper) quantiles of the 80% and 95% intervals.
CALIBRATION_QUANTILES = ((0.1, 0.9), (0.025, 0.975))
# Dispersion grid: 0 (Poisson) and log-spaced values from 1e-4 (a 1% standard deviation at a mean
# of 10,000, the total's scale at `hm`) to 10 (a product that sells in rare bursts).
DISPERSION_GRID = (0.0, *np.geomspace(1e-4, 10.0, 51).tolist())
# Multipliers of the residuals' root mean square tried for the normal family.
SD_GRID = tuple(np.geomspace(0.3, 3.0, 41).tolist())
MAX_CALIBRATION_POINTS = 100_000
MIN_POINTS_PER_BIN = 100


def is_count_data(values) -> bool:
    """True when every finite value is a non-negative integer (units sold)."""
    array = np.asarray(values, dtype="float64")
    array = array[np.isfinite(array)]
    return bool(len(array)) and bool((array >= 0).all()) and bool((array == np.round(array)).all())


def _nb_parameters(mean, dispersion) -> tuple[np.ndarray, np.ndarray]:
    """scipy's (n, p) of a negative binomial with this mean and dispersion (> 0)."""
    n = 1.0 / dispersion
    return n, n / (n + mean)


def negative_binomial_quantile(q: float, mean, dispersion) -> np.ndarray:
    """Quantile q of counts with the given mean and variance mean + dispersion * mean^2
    (Poisson where dispersion is 0; 0 where the mean is 0)."""
    mean = np.asarray(mean, dtype="float64")
    dispersion = np.broadcast_to(np.asarray(dispersion, dtype="float64"), mean.shape)
    out = np.zeros_like(mean)
    positive = mean > 0
    poisson = positive & (dispersion <= 0)
    out[poisson] = stats.poisson.ppf(q, mean[poisson])
    nb = positive & (dispersion > 0)
    n, p = _nb_parameters(mean[nb], dispersion[nb])
    out[nb] = stats.nbinom.ppf(q, n, p)
    return out


def negative_binomial_cdf(k, mean, dispersion) -> np.ndarray:
    """P(Y <= k) for the negative binomial above (0 below k = 0; a point mass at 0 for mean 0)."""
    k = np.asarray(k, dtype="float64")
    mean = np.broadcast_to(np.asarray(mean, dtype="float64"), k.shape)
    dispersion = np.broadcast_to(np.asarray(dispersion, dtype="float64"), k.shape)
    out = np.where(k >= 0, 1.0, 0.0)
    positive = (mean > 0) & (k >= 0)
    poisson = positive & (dispersion <= 0)
    out[poisson] = special.pdtr(np.floor(k[poisson]), mean[poisson])
    nb = positive & (dispersion > 0)
    n, p = _nb_parameters(mean[nb], dispersion[nb])
    out[nb] = special.betainc(n, np.floor(k[nb]) + 1.0, p)
    return out


def randomized_coverage(cdf_below, cdf_at, lower: float, upper: float) -> np.ndarray:
    """Per point, the share of its probability step [F(y-1), F(y)] inside [lower, upper] (a
    continuous forecast has F(y-1) = F(y): 1 inside the interval, 0 outside)."""
    below = np.asarray(cdf_below, dtype="float64")
    at = np.asarray(cdf_at, dtype="float64")
    step = at - below
    overlap = np.clip(np.minimum(at, upper) - np.maximum(below, lower), 0.0, None)
    inside = ((at >= lower) & (at <= upper)).astype("float64")
    return np.divide(overlap, step, out=inside, where=step > 1e-12)


def nb_randomized_coverage(actual, mean, dispersion, lower: float, upper: float) -> np.ndarray:
    """Randomized coverage, per point, of the negative binomial's [lower, upper] quantile range."""
    actual = np.asarray(actual, dtype="float64")
    return randomized_coverage(
        negative_binomial_cdf(actual - 1, mean, dispersion),
        negative_binomial_cdf(actual, mean, dispersion),
        lower,
        upper,
    )


def _grid_search(grid: tuple[float, ...], loss, step: int = 5) -> float:
    """The grid value of least loss, looking at every `step`-th value and then at every value
    around the best of those (the losses here fall, then rise, along the grid)."""
    coarse = list(range(0, len(grid), step))
    if coarse[-1] != len(grid) - 1:
        coarse.append(len(grid) - 1)
    losses = {i: loss(grid[i]) for i in coarse}
    best = min(losses, key=lambda i: (losses[i], i))
    for i in range(max(0, best - step + 1), min(len(grid), best + step)):
        if i not in losses:
            losses[i] = loss(grid[i])
    best = min(losses, key=lambda i: (losses[i], i))
    return grid[best]


def _coverage_loss(covered) -> float:
    """Distance of the 80% and 95% intervals' coverage from nominal; `covered(lo, hi)` is the
    coverage of the [lo, hi] quantile range."""
    return sum(abs(covered(lo, hi) - (hi - lo)) for lo, hi in CALIBRATION_QUANTILES)


def _best_dispersion(mean: np.ndarray, actual: np.ndarray) -> float:
    """The grid dispersion whose 80% and 95% intervals' randomized coverage is nearest nominal."""

    def loss(dispersion: float) -> float:
        return _coverage_loss(
            lambda lo, hi: nb_randomized_coverage(actual, mean, dispersion, lo, hi).mean()
        )

    return _grid_search(DISPERSION_GRID, loss)


def _best_sd(mean: np.ndarray, actual: np.ndarray) -> float:
    """The standard deviation (a multiple of the residuals' RMS) whose 80% and 95% normal
    intervals' coverage is nearest nominal."""
    residual = np.abs(actual - mean)
    rms = float(np.sqrt(np.mean(residual**2)))
    if rms == 0:
        return 0.0

    def loss(factor: float) -> float:
        return _coverage_loss(lambda lo, hi: (residual <= stats.norm.ppf(hi) * rms * factor).mean())

    return rms * _grid_search(SD_GRID, loss)


@dataclasses.dataclass(frozen=True)
class IntervalCalibration:
    """A family and its parameter per forecast-size bin (bins split at `edges` of the mean)."""

    family: str
    edges: tuple[float, ...]
    params: tuple[float, ...]
    points: int = 0

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"unknown family {self.family!r}; use one of {FAMILIES}")
        if len(self.params) != len(self.edges) + 1:
            raise ValueError("need one parameter per bin: len(edges) + 1")

    def param_at(self, mean) -> np.ndarray:
        """Each point's dispersion (negative binomial) or standard deviation (normal)."""
        mean = np.asarray(mean, dtype="float64")
        size = np.abs(mean) if self.family == NORMAL else mean
        return np.asarray(self.params)[np.searchsorted(self.edges, size, side="right")]

    def quantile(self, q: float, mean) -> np.ndarray:
        """Quantile q of the calibrated distribution around each mean."""
        mean = np.asarray(mean, dtype="float64")
        if self.family == NEGATIVE_BINOMIAL:
            return negative_binomial_quantile(q, np.maximum(mean, 0.0), self.param_at(mean))
        return mean + stats.norm.ppf(q) * self.param_at(mean)

    def coverage(self, actual, mean, lower: float, upper: float) -> np.ndarray:
        """Per point, how much of the actual the [lower, upper] quantile range covers
        (randomized for counts, plain for the normal family)."""
        actual = np.asarray(actual, dtype="float64")
        mean = np.asarray(mean, dtype="float64")
        if self.family == NEGATIVE_BINOMIAL:
            return nb_randomized_coverage(
                actual, np.maximum(mean, 0.0), self.param_at(mean), lower, upper
            )
        lo, hi = self.quantile(lower, mean), self.quantile(upper, mean)
        return ((actual >= lo) & (actual <= hi)).astype("float64")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "family": self.family,
            "edges": list(self.edges),
            "params": list(self.params),
            "points": self.points,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IntervalCalibration:
        """Back from `as_dict`."""
        return cls(data["family"], tuple(data["edges"]), tuple(data["params"]), int(data["points"]))


def calibrate(
    mean,
    actual,
    n_bins: int = 5,
    family: str | None = None,
    rng: np.random.Generator | None = None,
    max_points: int = MAX_CALIBRATION_POINTS,
) -> IntervalCalibration:
    """Calibrate a family's parameter per forecast-size bin on forecasts of held-out periods.

    `family` defaults to the negative binomial when the actuals are counts, else the normal.
    Bins are quantiles of the forecast size; fewer bins when there are fewer than
    `MIN_POINTS_PER_BIN` points per bin."""
    mean = np.asarray(mean, dtype="float64").ravel()
    actual = np.asarray(actual, dtype="float64").ravel()
    keep = np.isfinite(mean) & np.isfinite(actual)
    mean, actual = mean[keep], actual[keep]
    if not len(mean):
        raise ValueError("no points to calibrate the intervals on")
    family = family or (NEGATIVE_BINOMIAL if is_count_data(actual) else NORMAL)
    if len(mean) > max_points:
        pick = (rng or np.random.default_rng(0)).choice(len(mean), max_points, replace=False)
        mean, actual = mean[pick], actual[pick]
    size = np.abs(mean) if family == NORMAL else mean
    n_bins = max(1, min(n_bins, len(mean) // MIN_POINTS_PER_BIN))
    edges = np.unique(np.quantile(size, np.linspace(0, 1, n_bins + 1)[1:-1]))
    bins = np.searchsorted(edges, size, side="right")
    if family == NEGATIVE_BINOMIAL:
        mean, best = np.maximum(mean, 0.0), _best_dispersion
    else:
        best = _best_sd
    params = [
        best(mean[bins == b], actual[bins == b]) if (bins == b).any() else 0.0
        for b in range(len(edges) + 1)
    ]
    return IntervalCalibration(
        family, tuple(float(e) for e in edges), tuple(float(p) for p in params), len(mean)
    )
