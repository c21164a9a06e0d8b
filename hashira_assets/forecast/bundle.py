"""A registered forecaster version: its specification, the models fitted on all history, and the
reconciled forecasts they make with the calibrated intervals."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from hashira_assets.forecast.backtest import QUANTILES
from hashira_assets.forecast.groups import in_groups
from hashira_assets.forecast.intervals import IntervalCalibration
from hashira_assets.forecast.reconcile import LevelForecast, reconcile
from hashira_assets.forecast.series import LEVELS, SalesSeries, daily_index, exogenous
from hashira_assets.forecast.settings import MAX_FORECAST_DAYS, ForecastSettings
from hashira_assets.forecast.training import make_model, relative_mase


class OutdatedBundleError(ValueError):
    """A saved bundle pickled by an older version of this code (its classes moved or changed)."""


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
    """A saved bundle (fitted models and specification) from a model folder; OutdatedBundleError
    when an older version of this code saved it (refit its `load_spec` then)."""
    try:
        bundle = joblib.load(Path(folder) / "forecaster.joblib")
    except (AttributeError, ImportError) as exc:
        raise OutdatedBundleError(f"the saved forecaster no longer unpickles: {exc}") from exc
    if not isinstance(bundle, ForecasterBundle):
        raise OutdatedBundleError(f"the saved forecaster is a {type(bundle).__name__}")
    return bundle


def load_spec(folder: Path) -> dict[str, Any]:
    """Only the specification of a saved bundle (no unpickling)."""
    return json.loads((Path(folder) / "spec.json").read_text())


def make_spec(
    settings: ForecastSettings,
    chosen: dict[str, str],
    method: str,
    intervals: dict[str, IntervalCalibration] | None = None,
) -> dict[str, Any]:
    """What a registered version is: settings, chosen model per level, reconciliation, and the
    published intervals' calibration per level (when backtested)."""
    spec: dict[str, Any] = {
        "settings": settings.to_dict(),
        "chosen": dict(chosen),
        "reconciliation": method,
    }
    if intervals:
        spec["intervals"] = {level: c.as_dict() for level, c in intervals.items()}
    return spec


def fit_bundle(series: SalesSeries, spec: dict[str, Any], final: bool = True) -> ForecasterBundle:
    """Fit the specification's chosen model of every level on all of the series' history; with
    `final` False, fitted as in a backtest fold (no refit of the global model)."""
    settings = ForecastSettings.from_dict(spec["settings"])
    models, seconds = {}, {}
    for level in LEVELS:
        y = series.units[level]
        model = in_groups(
            make_model(spec["chosen"][level], level, series, settings, final), y.shape[1]
        )
        start = time.perf_counter()
        model.fit(y, X=exogenous(series, level, y.index), fh=np.arange(1, settings.horizon + 1))
        seconds[level] = time.perf_counter() - start
        models[level] = model
    return ForecasterBundle(spec, models, str(series.end.date()), seconds)


def forecast_levels(
    bundle: ForecasterBundle, series: SalesSeries, horizon: int
) -> tuple[dict[str, LevelForecast], float]:
    """Reconciled forecasts of the next `horizon` days from a fitted bundle, with the spec's
    calibrated intervals, and predict seconds."""
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
            mean,
            {float(a): quantiles.xs(a, axis=1, level=-1) for a in QUANTILES},
            getattr(model, "interval_calibration", None),
        ).clipped()
    coherent = reconcile(raw, series.product_category(), bundle.spec["reconciliation"])
    intervals = bundle.spec.get("intervals")
    if intervals:
        coherent = {
            level: coherent[level].with_intervals(IntervalCalibration.from_dict(intervals[level]))
            for level in LEVELS
        }
    return coherent, time.perf_counter() - start


def evaluate_spec_on_holdout(series: SalesSeries, spec: dict[str, Any]) -> float:
    """A specification's promotion score: fitted as in a backtest fold on all but the last
    `horizon` days, forecasting them, reconciled, as mean relative MASE over levels (what the
    candidate's backtest scored on its last fold)."""
    horizon = ForecastSettings.from_dict(spec["settings"]).horizon
    cutoff = series.end - pd.Timedelta(days=horizon)
    bundle = fit_bundle(series.truncate(cutoff), spec, final=False)
    forecasts, _ = forecast_levels(bundle, series.truncate(cutoff), horizon)
    return relative_mase(series, forecasts, cutoff)[0]
