"""Expanding-window backtests through sktime's `evaluate`, scored with `metrics`.

Each fold refits the forecaster on all days before its cutoff and forecasts the next `horizon`
days; the folds' test windows tile the end of the history, so the last fold is the last
`horizon` days (the window the generator's oracle covers).

Which point forecast each metric scores: MASE and sMAPE, absolute-error metrics, score the median
of the predictive distribution (the point forecast an absolute error rewards); bias scores the
mean (the forecast that adds up across products and is published). With intermittent demand the
two differ a lot: the median of a product that sells once a fortnight is 0, its mean is not.
The mean's MASE is reported too (`mase_mean`).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
from sktime.forecasting.base import BaseForecaster
from sktime.forecasting.model_evaluation import evaluate
from sktime.performance_metrics.forecasting import MeanAbsoluteError
from sktime.performance_metrics.forecasting.probabilistic import PinballLoss
from sktime.split import ExpandingWindowSplitter

from hashira_assets.forecast import metrics
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
    forecast = LevelForecast(forecast.mean.reindex(columns=y_test.columns), forecast.quantiles)
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
        out[f"coverage_{name}"] = metrics.coverage(
            y_test, forecast.quantiles[lo].to_numpy(), forecast.quantiles[hi].to_numpy()
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

    def fold_scores(self) -> list[dict[str, float]]:
        """Every metric of every fold."""
        return [score(f.y_train, f.y_test, f.forecast, self.sp) for f in self.folds]

    def mean_scores(self) -> dict[str, float]:
        """Each metric averaged over folds, plus fit and predict seconds per fold."""
        scores = pd.DataFrame(self.fold_scores())
        out = {k: float(v) for k, v in scores.mean(numeric_only=True).items()}
        out["fit_seconds"] = float(np.mean([f.fit_seconds for f in self.folds]))
        out["predict_seconds"] = float(np.mean([f.predict_seconds for f in self.folds]))
        return out


class WideMeanAbsoluteError(MeanAbsoluteError):
    """sktime's MAE over all columns at once: its per-column input checks cost seconds per fold
    on 10,000 series. In `evaluate` it asks for the point forecast."""

    def evaluate(self, y_true, y_pred, **kwargs):
        predicted = y_pred.reindex(index=y_true.index, columns=y_true.columns).to_numpy()
        return float(np.abs(y_true.to_numpy() - predicted).mean())


class WidePinballLoss(PinballLoss):
    """sktime's pinball loss averaged over all columns and quantiles, computed at once. In
    `evaluate` it asks for the quantile forecasts."""

    def evaluate(self, y_true, y_pred, **kwargs):
        actual = y_true.to_numpy()
        losses = []
        for alpha in self.alpha:
            quantile = y_pred.xs(alpha, axis=1, level=-1)
            diff = actual - quantile.reindex(index=y_true.index, columns=y_true.columns).to_numpy()
            losses.append(np.maximum(alpha * diff, (alpha - 1) * diff).mean())
        return float(np.mean(losses))


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


def run_backtest(
    forecaster: BaseForecaster,
    y: pd.DataFrame,
    X: pd.DataFrame | None,
    horizon: int,
    folds: int,
    sp: int,
    name: str,
) -> ModelBacktest:
    """sktime `evaluate` on an expanding window (refit every fold), keeping every fold's data."""
    results = evaluate(
        forecaster=forecaster,
        cv=splitter(len(y), horizon, folds),
        y=y,
        X=X,
        strategy="refit",
        scoring=[WideMeanAbsoluteError(), WidePinballLoss(alpha=list(QUANTILES))],
        return_data=True,
        error_score="raise",
    )
    out = []
    for _, row in results.iterrows():
        quantiles = _quantile_frames(row["y_pred_quantiles"])
        forecast = LevelForecast(row["y_pred"], quantiles).clipped()
        out.append(
            Fold(
                y_train=row["y_train"],
                y_test=row["y_test"],
                forecast=forecast,
                fit_seconds=float(row["fit_time"]),
                predict_seconds=float(row["pred_time"]) + float(row["pred_quantiles_time"]),
            )
        )
    return ModelBacktest(name, out, sp)


def fit_predict(
    forecaster: BaseForecaster,
    y: pd.DataFrame,
    X_train: pd.DataFrame | None,
    X_future: pd.DataFrame | None,
    horizon: int,
) -> tuple[LevelForecast, float, float]:
    """Fit on all of y and forecast `horizon` periods: (clipped forecast, fit s, predict s)."""
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
    return LevelForecast(mean, quantiles).clipped(), fit_seconds, predict_seconds
