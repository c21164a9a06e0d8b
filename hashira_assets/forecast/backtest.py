"""Expanding-window backtests on sktime's `ExpandingWindowSplitter`, scored with `metrics`.

Each fold fits a fresh clone of the forecaster on all days before its cutoff and forecasts the
next `horizon` days; the folds' test windows tile the end of the history, so the last fold is the
last `horizon` days (the window the generator's oracle covers).

Which point forecast each metric scores: MASE and sMAPE, absolute-error metrics, score the median
of the predictive distribution (the point forecast an absolute error rewards); bias scores the
mean (the forecast that adds up across products and is published). With intermittent demand the
two differ a lot: the median of a product that sells once a fortnight is 0, its mean is not.
The mean's MASE is reported too (`mase_mean`).

Interval coverage is reported twice: `coverage_80` counts the actuals inside the published bounds;
`randomized_coverage_80` counts a count forecast's actual by the share of its probability step
inside the interval (see `intervals`), the measure that is 80% for a calibrated distribution of
counts. Forecasts without a distribution of counts score the same on both.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
from sktime.forecasting.base import BaseForecaster
from sktime.split import ExpandingWindowSplitter

from hashira_assets.forecast import metrics
from hashira_assets.forecast.groups import in_groups
from hashira_assets.forecast.reconcile import LevelForecast

# Quantiles every model is asked for: the 95% and 80% central intervals and the median.
QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)
INTERVALS = {"80": (0.1, 0.9), "95": (0.025, 0.975)}


@dataclasses.dataclass
class Fold:
    """One backtest fold: training and test actuals and the (clipped) forecasts."""

    y_train: pd.DataFrame
    y_test: pd.DataFrame
    forecast: LevelForecast
    fit_seconds: float
    predict_seconds: float

    @property
    def cutoff(self) -> pd.Timestamp:
        """The last training day."""
        return self.y_train.index[-1]


def score(
    y_train: pd.DataFrame, y_test: pd.DataFrame, forecast: LevelForecast, sp: int
) -> dict[str, float]:
    """All metrics of one forecast against the actuals (see the module docstring)."""
    forecast = LevelForecast(
        forecast.mean.reindex(columns=y_test.columns), forecast.quantiles, forecast.calibration
    )
    median = forecast.quantiles[0.5].to_numpy()
    mean = forecast.mean.to_numpy()
    out = {
        "mase": metrics.mase(y_test, median, y_train, sp),
        "mase_mean": metrics.mase(y_test, mean, y_train, sp),
        "pooled_mase": metrics.pooled_mase(y_test, median, y_train, sp),
        "pooled_mase_mean": metrics.pooled_mase(y_test, mean, y_train, sp),
        "smape": metrics.smape(y_test, median),
        "bias": metrics.bias(y_test, mean),
    }
    for name, (lo, hi) in INTERVALS.items():
        lower, upper = forecast.quantiles[lo].to_numpy(), forecast.quantiles[hi].to_numpy()
        out[f"coverage_{name}"] = metrics.coverage(y_test, lower, upper)
        out[f"randomized_coverage_{name}"] = (
            float(forecast.calibration.coverage(y_test.to_numpy(), mean, lo, hi).mean())
            if forecast.calibration is not None
            else out[f"coverage_{name}"]
        )
    out["undefined_mase_series"] = metrics.undefined_scale_count(y_train, sp)
    return out


def point_score(
    y_train: pd.DataFrame, y_test: pd.DataFrame, point: pd.DataFrame, sp: int
) -> dict[str, float]:
    """MASE, pooled MASE, sMAPE and bias of a point forecast without intervals (the oracle)."""
    values = point.reindex(index=y_test.index, columns=y_test.columns).to_numpy()
    return {
        "mase_mean": metrics.mase(y_test, values, y_train, sp),
        "pooled_mase_mean": metrics.pooled_mase(y_test, values, y_train, sp),
        "smape_mean": metrics.smape(y_test, values),
        "bias": metrics.bias(y_test, values),
    }


@dataclasses.dataclass
class ModelBacktest:
    """A model's folds on one level."""

    model: str
    folds: list[Fold]
    sp: int
    _scores: list[dict[str, float]] | None = dataclasses.field(default=None, repr=False)

    def fold_scores(self) -> list[dict[str, float]]:
        """Every metric of every fold (computed once)."""
        if self._scores is None:
            self._scores = [score(f.y_train, f.y_test, f.forecast, self.sp) for f in self.folds]
        return self._scores

    def mean_scores(self) -> dict[str, float]:
        """Each metric averaged over folds, plus fit and predict seconds per fold."""
        scores = pd.DataFrame(self.fold_scores())
        out = {k: float(v) for k, v in scores.mean(numeric_only=True).items()}
        out["fit_seconds"] = float(np.mean([f.fit_seconds for f in self.folds]))
        out["predict_seconds"] = float(np.mean([f.predict_seconds for f in self.folds]))
        return out


def folds_that_fit(n_periods: int, horizon: int, folds: int) -> int:
    """How many of the requested folds fit while every training window keeps 2 horizons."""
    return max(0, min(folds, (n_periods - 2 * horizon) // horizon))


def splitter(n_periods: int, horizon: int, folds: int) -> ExpandingWindowSplitter:
    """Expanding window whose `folds` test windows of `horizon` periods end the history."""
    initial = n_periods - folds * horizon
    if initial < 2 * horizon:
        raise ValueError(
            f"{n_periods} periods are too few for {folds} folds of {horizon}: "
            f"each training window needs at least {2 * horizon}"
        )
    return ExpandingWindowSplitter(
        fh=np.arange(1, horizon + 1), initial_window=initial, step_length=horizon
    )


def _quantile_frames(frame: pd.DataFrame) -> dict[float, pd.DataFrame]:
    """Split sktime's (variable, alpha) quantile columns into one frame per alpha."""
    out = {}
    for alpha in frame.columns.get_level_values(-1).unique():
        part = frame.xs(alpha, axis=1, level=-1)
        out[float(alpha)] = part
    return out


def _as_slice(positions: np.ndarray) -> slice | np.ndarray:
    """A run of consecutive positions as a slice: `iloc` then returns a view, not a copy (each
    fold keeps its training days; at 105k series a copy is 600 MB a fold and model)."""
    if len(positions) and np.array_equal(positions, np.arange(positions[0], positions[-1] + 1)):
        return slice(int(positions[0]), int(positions[-1]) + 1)
    return positions


def run_backtest(
    forecaster: BaseForecaster,
    y: pd.DataFrame,
    X: pd.DataFrame | None,
    horizon: int,
    folds: int,
    sp: int,
    name: str,
    clip: bool = True,
) -> ModelBacktest:
    """Expanding-window backtest: a fresh clone fitted on all periods before each fold's cutoff,
    forecasting the fold; every fold's data kept. `clip` clips forecasts at zero (sales)."""
    out = []
    for train_idx, test_idx in splitter(len(y), horizon, folds).split(y.index):
        train, test = _as_slice(train_idx), _as_slice(test_idx)
        y_train, y_test = y.iloc[train], y.iloc[test]
        X_train, X_test = None, None
        if X is not None and X.index.equals(y.index):
            X_train, X_test = X.iloc[train], X.iloc[test]
        elif X is not None:
            X_train, X_test = X.loc[y_train.index], X.loc[y_test.index]
        forecast, fit_s, predict_s = fit_predict(
            forecaster.clone(), y_train, X_train, X_test, len(test_idx), clip
        )
        out.append(Fold(y_train, y_test, forecast, fit_s, predict_s))
    return ModelBacktest(name, out, sp)


def fit_predict(
    forecaster: BaseForecaster,
    y: pd.DataFrame,
    X_train: pd.DataFrame | None,
    X_future: pd.DataFrame | None,
    horizon: int,
    clip: bool = True,
) -> tuple[LevelForecast, float, float]:
    """Fit on all of y and forecast `horizon` periods: (forecast, fit s, predict s); the forecast
    is clipped at zero unless `clip` is False. A level of very many series is fitted in groups
    (`groups`)."""
    forecaster = in_groups(forecaster, y.shape[1])
    fh = np.arange(1, horizon + 1)
    start = time.perf_counter()
    forecaster.fit(y, X=X_train, fh=fh)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    mean = forecaster.predict(fh, X=X_future)
    quantiles = _quantile_frames(
        forecaster.predict_quantiles(fh, X=X_future, alpha=list(QUANTILES))
    )
    predict_seconds = time.perf_counter() - start
    calibration = getattr(forecaster, "interval_calibration", None)
    forecast = LevelForecast(mean, quantiles, calibration)
    return (forecast.clipped() if clip else forecast), fit_seconds, predict_seconds
