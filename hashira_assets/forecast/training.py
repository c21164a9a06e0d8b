"""Choosing the sales forecaster: backtest every candidate model per level, choose by backtest,
reconcile, and calibrate the published intervals on the backtest's folds (`bundle` fits the
choice on all history and forecasts; `registry` registers it behind the promotion gate).

The promotion gate compares model *specifications* (which model per level, their settings, the
reconciliation) on the same evaluation data: the last `horizon` days, forecast by models fitted
on the days before. The candidate's score comes from its backtest's last fold; the champion's
specification is refitted on the same days and scored the same way. The score is a MASE of the
median, which the interval calibration leaves alone, so refitting reproduces it.

Intervals of the reconciled forecast: reconciliation moves a level's mean (middle-out makes the
total the sum of the categories, more accurate than the total's own model), so the level model's
own interval no longer fits the error of the published mean. Each level's published interval is
therefore calibrated on the reconciled forecasts' errors in the backtest folds (`intervals`):
every fold is scored with the calibration from the other folds, the last fold (the holdout) with
the earlier folds only, and the registered version keeps the calibration from all folds.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
import pandas as pd

from hashira_assets.forecast import metrics
from hashira_assets.forecast.backtest import (
    Fold,
    ModelBacktest,
    fit_predict,
    folds_that_fit,
    point_score,
    run_backtest,
    score,
)
from hashira_assets.forecast.global_model import GlobalBoostedForecaster
from hashira_assets.forecast.intervals import (
    IntervalCalibration,
    calibrate,
    is_count_data,
    negative_binomial_quantile,
)
from hashira_assets.forecast.models import SeasonalNaiveForecaster, make_arar
from hashira_assets.forecast.reconcile import RECONCILIATION_METHODS, LevelForecast, reconcile
from hashira_assets.forecast.series import LEVELS, SalesSeries, exogenous, series_info
from hashira_assets.forecast.settings import (
    BASELINE,
    PROMOTION_METRIC,
    SEASON,
    STATISTICAL_MODELS,
    ForecastSettings,
    Progress,
)
from hashira_assets.forecast.statistical import make_statistical


def make_model(
    name: str, level: str, series: SalesSeries, settings: ForecastSettings, final: bool = False
):
    """A fresh sktime forecaster for one level; `final` for the version fitted on all history
    (the global model then refits after calibrating, if the settings say so)."""
    if name == "seasonal_naive":
        return SeasonalNaiveForecaster(sp=SEASON)
    if name == "arar":
        return make_arar()
    if name in STATISTICAL_MODELS:
        return make_statistical(name, SEASON, daily_sales=True)
    if name == "lightgbm":
        return GlobalBoostedForecaster(
            sp=SEASON,
            max_horizon=settings.horizon,
            n_estimators=settings.n_estimators,
            learning_rate=settings.learning_rate,
            max_rows=settings.max_rows,
            n_origins=settings.n_origins,
            refit_after_calibration=(
                settings.final_refit
                if final
                else level != "product" or settings.product_backtest_refit
            ),
            objective=settings.objective,
            series_info=series_info(series, level),
            n_jobs=settings.n_jobs,
            random_state=settings.seed,
        )
    raise ValueError(f"unknown model {name!r}")


# ---------------------------------------------------------------------------------- backtests
@dataclasses.dataclass
class BacktestReport:
    """Every candidate's backtest, the choices made from them and the holdout scores."""

    results: dict[str, dict[str, ModelBacktest]]
    chosen: dict[str, str]
    reconciliation: str
    # method -> level -> mean scores, each level's intervals its model's own (moved with the mean)
    reconciliation_scores: dict[str, dict[str, dict[str, float]]]
    # level -> mean scores of the published forecast: the chosen reconciliation with intervals
    # calibrated on the other folds
    reconciled: dict[str, dict[str, float]]
    holdout: dict[str, dict[str, float]]  # level -> last fold, as published
    holdout_score: float
    oracle: dict[str, dict[str, float]]  # level -> oracle's scores on the last fold
    intervals: dict[str, IntervalCalibration]  # level -> calibrated on all folds
    seconds: float

    def model_scores(self) -> dict[str, dict[str, dict[str, float]]]:
        """Level -> model -> metrics averaged over folds."""
        return {
            level: {name: mb.mean_scores() for name, mb in models.items()}
            for level, models in self.results.items()
        }

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {
            "models": self.model_scores(),
            "chosen": self.chosen,
            "reconciliation": self.reconciliation,
            "reconciliation_scores": self.reconciliation_scores,
            "reconciled": self.reconciled,
            "holdout": self.holdout,
            PROMOTION_METRIC: self.holdout_score,
            "oracle_last_fold": self.oracle,
            "intervals": {level: c.as_dict() for level, c in self.intervals.items()},
            "seconds": self.seconds,
        }


def _naive_on(y_train: pd.DataFrame, horizon: int) -> LevelForecast:
    forecast, _, _ = fit_predict(SeasonalNaiveForecaster(sp=SEASON), y_train, None, None, horizon)
    return forecast


def relative_mase(
    series: SalesSeries, forecasts: dict[str, LevelForecast], cutoff: pd.Timestamp
) -> tuple[float, dict[str, dict[str, float]]]:
    """Mean over levels of MASE / seasonal-naive MASE on the days after `cutoff`, and every
    level's scores (the promotion gate's metric; lower is better)."""
    scores, ratios = {}, []
    for level in LEVELS:
        y = series.units[level]
        y_train = y.loc[:cutoff]
        y_test = y.loc[forecasts[level].mean.index]
        level_scores = score(y_train, y_test, forecasts[level], SEASON)
        naive = score(y_train, y_test, _naive_on(y_train, len(y_test)), SEASON)
        level_scores["naive_mase"] = naive["mase"]
        level_scores["relative_mase"] = level_scores["mase"] / naive["mase"]
        scores[level] = level_scores
        ratios.append(level_scores["relative_mase"])
    return float(np.mean(ratios)), scores


def backtest_all(
    series: SalesSeries,
    settings: ForecastSettings,
    oracle: dict[str, pd.DataFrame] | None = None,
    progress: Progress | None = None,
) -> BacktestReport:
    """Backtest each level's candidates, choose per level (lowest MASE), then choose the
    reconciliation (lowest mean relative MASE over levels) and score the last fold."""
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    results: dict[str, dict[str, ModelBacktest]] = {}
    chosen = {}
    n_days = len(series.units["total"].index)
    folds = folds_that_fit(n_days, settings.horizon, settings.folds)
    if folds < 1:
        raise ValueError(
            f"{n_days} days of sales are too few to backtest a {settings.horizon}-day horizon: "
            f"it needs at least {3 * settings.horizon}"
        )
    if folds < settings.folds:
        # A short world (the `tiny` preset) still gets a forecaster, judged on fewer folds.
        say(f"only {folds} of {settings.folds} backtest folds fit in {n_days} days; using {folds}")
    for level in LEVELS:
        y = series.units[level]
        X = exogenous(series, level, y.index)
        results[level] = {}
        for name in settings.candidates[level]:
            say(f"backtest {level}/{name}: {folds} folds of {settings.horizon} days")
            model = make_model(name, level, series, settings)
            results[level][name] = run_backtest(model, y, X, settings.horizon, folds, SEASON, name)
        mase = {n: results[level][n].mean_scores()["mase"] for n in results[level]}
        chosen[level] = min(mase, key=lambda n: mase[n] if np.isfinite(mase[n]) else np.inf)
        say(f"{level}: MASE " + ", ".join(f"{n} {v:.3f}" for n, v in mase.items()))
    category_of = series.product_category()
    n_folds = len(results["product"][chosen["product"]].folds)
    actuals = [
        {level: results[level][chosen[level]].folds[i] for level in LEVELS} for i in range(n_folds)
    ]
    reconciliation_scores: dict[str, dict[str, dict[str, float]]] = {}
    fold_forecasts: dict[str, list[dict[str, LevelForecast]]] = {}
    for method in RECONCILIATION_METHODS:
        fold_forecasts[method] = [
            reconcile({lv: actuals[i][lv].forecast for lv in LEVELS}, category_of, method)
            for i in range(n_folds)
        ]
        reconciliation_scores[method] = _mean_scores(fold_forecasts[method], actuals, results)
    method = min(
        RECONCILIATION_METHODS,
        key=lambda m: np.mean([reconciliation_scores[m][lv]["relative_mase"] for lv in LEVELS]),
    )
    published = calibrated_folds(fold_forecasts[method], actuals)
    reconciled = _mean_scores(published, actuals, results)
    intervals = calibrate_levels(fold_forecasts[method], actuals)
    last = published[-1]
    cutoff = results["total"][chosen["total"]].folds[-1].cutoff
    holdout_score, holdout = relative_mase(series, last, cutoff)
    oracle_scores = _oracle_scores(series, last, cutoff, oracle) if oracle else {}
    say(f"reconciliation {method}; holdout relative MASE {holdout_score:.4f}")
    return BacktestReport(
        results,
        chosen,
        method,
        reconciliation_scores,
        reconciled,
        holdout,
        holdout_score,
        oracle_scores,
        intervals,
        time.perf_counter() - started,
    )


def _mean_scores(
    forecasts: list[dict[str, LevelForecast]],
    folds: list[dict[str, Fold]],
    results: dict[str, dict[str, ModelBacktest]],
) -> dict[str, dict[str, float]]:
    """Level -> scores averaged over folds, with MASE relative to the seasonal naive's."""
    out = {}
    for level in LEVELS:
        rows = [
            score(fold[level].y_train, fold[level].y_test, forecast[level], SEASON)
            for forecast, fold in zip(forecasts, folds, strict=True)
        ]
        out[level] = pd.DataFrame(rows).mean().to_dict()
        out[level]["relative_mase"] = (
            out[level]["mase"] / results[level][BASELINE].mean_scores()["mase"]
        )
    return out


def calibrate_levels(
    forecasts: list[dict[str, LevelForecast]], folds: list[dict[str, Fold]]
) -> dict[str, IntervalCalibration]:
    """Per level, the interval distribution calibrated on the reconciled means and actuals of
    the given folds."""
    out = {}
    for level in LEVELS:
        mean = np.concatenate([f[level].mean.to_numpy().ravel() for f in forecasts])
        actual = np.concatenate([fold[level].y_test.to_numpy().ravel() for fold in folds])
        out[level] = calibrate(mean, actual, rng=np.random.default_rng(0))
    return out


def calibrated_folds(
    forecasts: list[dict[str, LevelForecast]], folds: list[dict[str, Fold]]
) -> list[dict[str, LevelForecast]]:
    """Every fold's reconciled forecast with intervals calibrated on the other folds (the last
    fold on the earlier ones only: it is the holdout). A single fold keeps its own intervals."""
    out = []
    n = len(forecasts)
    for i, forecast in enumerate(forecasts):
        others = [j for j in range(n) if j != i and (i < n - 1 or j < i)]
        if not others:
            out.append(forecast)
            continue
        intervals = calibrate_levels([forecasts[j] for j in others], [folds[j] for j in others])
        out.append({lv: forecast[lv].with_intervals(intervals[lv]) for lv in LEVELS})
    return out


def _oracle_scores(
    series: SalesSeries,
    forecasts: dict[str, LevelForecast],
    cutoff: pd.Timestamp,
    oracle: dict[str, pd.DataFrame],
) -> dict[str, dict[str, float]]:
    """The oracle's expected units scored like a forecast on the last fold, beside the chosen
    models' mean forecast: the oracle's error is the floor for a mean forecast. For counts, the
    median of a Poisson around the oracle's expectation is scored beside the published median
    (`oracle_median_mase`, `model_median_mase`): no forecast beats the true median on absolute
    error in expectation, so it is the floor for the MASE the forecaster is judged by."""
    out = {}
    days = forecasts["total"].mean.index
    if not set(days) <= set(oracle["total"].index):
        return out
    for level in LEVELS:
        y = series.units[level]
        y_train, y_test = y.loc[:cutoff], y.loc[days]
        out[level] = {
            **{
                f"oracle_{k}": v
                for k, v in point_score(y_train, y_test, oracle[level], SEASON).items()
            },
            **{
                f"model_{k}": v
                for k, v in point_score(y_train, y_test, forecasts[level].mean, SEASON).items()
            },
        }
        if is_count_data(y_test.to_numpy()):
            expected = oracle[level].reindex(index=y_test.index, columns=y_test.columns)
            median = negative_binomial_quantile(0.5, expected.to_numpy(), 0.0)
            published = forecasts[level].quantiles[0.5].reindex(columns=y_test.columns)
            out[level]["oracle_median_mase"] = metrics.mase(y_test, median, y_train, SEASON)
            out[level]["model_median_mase"] = metrics.mase(
                y_test, published.to_numpy(), y_train, SEASON
            )
    return out
