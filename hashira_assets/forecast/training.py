"""Training the sales forecaster: backtest every candidate model per level, choose by backtest,
reconcile, fit on all history, register in MLflow behind the promotion gate, and forecast.

The promotion gate compares model *specifications* (which model per level, their settings, the
reconciliation) on the same evaluation data: the last `horizon` days, forecast by models fitted
on the days before. The candidate's score comes from its backtest's last fold; the champion's
specification is refitted on the same days and scored the same way.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from hashira_assets.forecast.backtest import (
    QUANTILES,
    ModelBacktest,
    fit_predict,
    folds_that_fit,
    point_score,
    run_backtest,
    score,
)
from hashira_assets.forecast.models import (
    GlobalBoostedForecaster,
    SeasonalNaiveForecaster,
    make_arar,
)
from hashira_assets.forecast.reconcile import RECONCILIATION_METHODS, LevelForecast, reconcile
from hashira_assets.forecast.series import (
    LEVELS,
    SalesSeries,
    daily_index,
    exogenous,
    series_info,
)

FORECASTER_MODEL_NAME = "hashira-forecaster"
PROMOTION_METRIC = "holdout_relative_mase"
SEASON = 7
MAX_FORECAST_DAYS = 90
BASELINE = "seasonal_naive"
DEFAULT_CANDIDATES = {
    # ARAR fits one series at a time: fine for 16 categories and the total, minutes for 10,000
    # products, where the seasonal naive and the global model compete.
    "product": ("seasonal_naive", "lightgbm"),
    "category": ("seasonal_naive", "arar", "lightgbm"),
    "total": ("seasonal_naive", "arar", "lightgbm"),
}
Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class ForecastSettings:
    """Backtest and model settings; stored with every registered version."""

    horizon: int = 28
    folds: int = 3
    candidates: dict[str, tuple[str, ...]] = dataclasses.field(
        default_factory=lambda: dict(DEFAULT_CANDIDATES)
    )
    n_estimators: int = 300
    max_rows: int = 2_000_000
    n_origins: int = 52
    # One LightGBM thread: on this 2-core machine, two threads next to any other busy process
    # spin-wait and took 6x the CPU time of one (product backtest on `small`).
    n_jobs: int = 1
    seed: int = 0

    def __post_init__(self):
        if not 1 <= self.horizon <= MAX_FORECAST_DAYS:
            raise ValueError(f"horizon must be 1 to {MAX_FORECAST_DAYS} days, got {self.horizon}")
        if self.folds < 1:
            raise ValueError("need at least one backtest fold")
        for level in LEVELS:
            names = self.candidates.get(level, ())
            if BASELINE not in names:
                raise ValueError(f"the {level} candidates must include the {BASELINE} baseline")
            unknown = set(names) - {"seasonal_naive", "arar", "lightgbm"}
            if unknown:
                raise ValueError(f"unknown models {sorted(unknown)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings."""
        data = dataclasses.asdict(self)
        data["candidates"] = {k: list(v) for k, v in self.candidates.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ForecastSettings:
        """Settings back from `to_dict`."""
        data = dict(data)
        data["candidates"] = {k: tuple(v) for k, v in data["candidates"].items()}
        return cls(**data)


def make_model(name: str, level: str, series: SalesSeries, settings: ForecastSettings):
    """A fresh sktime forecaster for one level."""
    if name == "seasonal_naive":
        return SeasonalNaiveForecaster(sp=SEASON)
    if name == "arar":
        return make_arar()
    if name == "lightgbm":
        return GlobalBoostedForecaster(
            sp=SEASON,
            max_horizon=settings.horizon,
            n_estimators=settings.n_estimators,
            max_rows=settings.max_rows,
            n_origins=settings.n_origins,
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
    reconciled: dict[str, dict[str, dict[str, float]]]  # method -> level -> mean scores
    holdout: dict[str, dict[str, float]]  # level -> last fold, chosen + reconciled
    holdout_score: float
    oracle: dict[str, dict[str, float]]  # level -> oracle's scores on the last fold
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
            "reconciled": self.reconciled,
            "holdout": self.holdout,
            PROMOTION_METRIC: self.holdout_score,
            "oracle_last_fold": self.oracle,
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
    reconciled: dict[str, dict[str, dict[str, float]]] = {}
    fold_forecasts: dict[str, list] = {}
    for method in RECONCILIATION_METHODS:
        per_level: dict[str, list[dict[str, float]]] = {level: [] for level in LEVELS}
        fold_forecasts[method] = []
        for i in range(n_folds):
            raw = {level: results[level][chosen[level]].folds[i].forecast for level in LEVELS}
            coherent = reconcile(raw, category_of, method)
            fold_forecasts[method].append(coherent)
            for level in LEVELS:
                fold = results[level][chosen[level]].folds[i]
                per_level[level].append(score(fold.y_train, fold.y_test, coherent[level], SEASON))
        reconciled[method] = {
            level: pd.DataFrame(rows).mean().to_dict() for level, rows in per_level.items()
        }
        for level in LEVELS:
            naive = results[level][BASELINE].mean_scores()["mase"]
            reconciled[method][level]["relative_mase"] = reconciled[method][level]["mase"] / naive
    method = min(
        RECONCILIATION_METHODS,
        key=lambda m: np.mean([reconciled[m][level]["relative_mase"] for level in LEVELS]),
    )
    last = fold_forecasts[method][-1]
    cutoff = results["total"][chosen["total"]].folds[-1].cutoff
    holdout_score, holdout = relative_mase(series, last, cutoff)
    oracle_scores = _oracle_scores(series, last, cutoff, oracle) if oracle else {}
    say(f"reconciliation {method}; holdout relative MASE {holdout_score:.4f}")
    return BacktestReport(
        results,
        chosen,
        method,
        reconciled,
        holdout,
        holdout_score,
        oracle_scores,
        time.perf_counter() - started,
    )


def _oracle_scores(
    series: SalesSeries,
    forecasts: dict[str, LevelForecast],
    cutoff: pd.Timestamp,
    oracle: dict[str, pd.DataFrame],
) -> dict[str, dict[str, float]]:
    """The oracle's expected units scored like a forecast on the last fold, beside the chosen
    models' mean forecast: the oracle's error is the floor for a mean forecast."""
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
    return out


# ---------------------------------------------------------------------------------- fitting
@dataclasses.dataclass
class ForecasterBundle:
    """Fitted models per level, with the specification that produced them."""

    spec: dict[str, Any]
    models: dict[str, Any]
    data_end: str
    fit_seconds: dict[str, float]

    def save(self, folder: Path) -> None:
        """The bundle (joblib) and its specification (JSON) into a model folder."""
        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, folder / "forecaster.joblib", compress=3)
        (folder / "spec.json").write_text(json.dumps(self.spec, indent=2))


def load_bundle(folder: Path) -> ForecasterBundle:
    """A saved bundle (fitted models and specification) from a model folder."""
    return joblib.load(Path(folder) / "forecaster.joblib")


def load_spec(folder: Path) -> dict[str, Any]:
    """Only the specification of a saved bundle (no unpickling)."""
    return json.loads((Path(folder) / "spec.json").read_text())


def make_spec(settings: ForecastSettings, chosen: dict[str, str], method: str) -> dict[str, Any]:
    """What a registered version is: settings, chosen model per level, reconciliation."""
    return {"settings": settings.to_dict(), "chosen": dict(chosen), "reconciliation": method}


def fit_bundle(series: SalesSeries, spec: dict[str, Any]) -> ForecasterBundle:
    """Fit the specification's chosen model of every level on all of the series' history."""
    settings = ForecastSettings.from_dict(spec["settings"])
    models, seconds = {}, {}
    for level in LEVELS:
        y = series.units[level]
        model = make_model(spec["chosen"][level], level, series, settings)
        start = time.perf_counter()
        model.fit(y, X=exogenous(series, level, y.index), fh=np.arange(1, settings.horizon + 1))
        seconds[level] = time.perf_counter() - start
        models[level] = model
    return ForecasterBundle(spec, models, str(series.end.date()), seconds)


def forecast_levels(
    bundle: ForecasterBundle, series: SalesSeries, horizon: int
) -> tuple[dict[str, LevelForecast], float]:
    """Reconciled forecasts of the next `horizon` days from a fitted bundle, and predict seconds."""
    if not 1 <= horizon <= MAX_FORECAST_DAYS:
        raise ValueError(f"horizon must be 1 to {MAX_FORECAST_DAYS} days, got {horizon}")
    future = daily_index(series.end + pd.Timedelta(days=1), series.end + pd.Timedelta(days=horizon))
    fh = np.arange(1, horizon + 1)
    raw = {}
    start = time.perf_counter()
    for level in LEVELS:
        model = bundle.models[level]
        X = exogenous(series, level, future)
        mean = model.predict(fh, X=X)
        quantiles = model.predict_quantiles(fh, X=X, alpha=list(QUANTILES))
        raw[level] = LevelForecast(
            mean, {float(a): quantiles.xs(a, axis=1, level=-1) for a in QUANTILES}
        ).clipped()
    coherent = reconcile(raw, series.product_category(), bundle.spec["reconciliation"])
    return coherent, time.perf_counter() - start


def evaluate_spec_on_holdout(series: SalesSeries, spec: dict[str, Any]) -> float:
    """A specification's promotion score: fitted on all but the last `horizon` days, forecasting
    them, reconciled, as mean relative MASE over levels."""
    horizon = ForecastSettings.from_dict(spec["settings"]).horizon
    cutoff = series.end - pd.Timedelta(days=horizon)
    bundle = fit_bundle(series.truncate(cutoff), spec)
    forecasts, _ = forecast_levels(bundle, series.truncate(cutoff), horizon)
    return relative_mase(series, forecasts, cutoff)[0]
