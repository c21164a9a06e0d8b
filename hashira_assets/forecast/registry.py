"""The forecaster through the shared model lifecycle: backtest, choose, fit, and a registered
version that is champion only if its specification beats the champion's on the same holdout."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from hashira_assets.forecast.bundle import (
    ForecasterBundle,
    evaluate_spec_on_holdout,
    fit_bundle,
    forecast_levels,
    load_spec,
    make_spec,
)
from hashira_assets.forecast.output import forecast_plot
from hashira_assets.forecast.series import LEVELS, SalesSeries
from hashira_assets.forecast.settings import (
    FORECASTER_MODEL_NAME,
    PROMOTION_METRIC,
    ForecastSettings,
    Progress,
)
from hashira_assets.forecast.training import BacktestReport, backtest_all
from resources.lake import TableVersion
from resources.model_lifecycle import Candidate, Gate, PromotionDecision, run_lifecycle


@dataclasses.dataclass(frozen=True)
class TrainingReport:
    """What one training run produced: MLflow run, version, backtests, bundle, decision."""

    run_id: str
    version: str
    backtest: BacktestReport
    bundle: ForecasterBundle
    decision: PromotionDecision


def _flat_metrics(report: BacktestReport) -> dict[str, float]:
    out = {}
    for level, models in report.model_scores().items():
        for name, scores in models.items():
            for key, value in scores.items():
                out[f"{level}/{name}/{key}"] = value
    for level, scores in report.holdout.items():
        for key, value in scores.items():
            out[f"{level}/holdout/{key}"] = value
    for level, scores in report.oracle.items():
        for key, value in scores.items():
            out[f"{level}/last_fold/{key}"] = value
    for level in LEVELS:
        # As published: the chosen reconciliation with the calibrated intervals.
        for key, value in report.reconciled[level].items():
            out[f"{level}/reconciled/{key}"] = value
        own = report.reconciliation_scores[report.reconciliation][level]
        for key in ("coverage_80", "coverage_95", "randomized_coverage_80"):
            out[f"{level}/reconciled_own_intervals/{key}"] = own[key]
    out[PROMOTION_METRIC] = report.holdout_score
    return {k: float(v) for k, v in out.items() if v is not None and np.isfinite(v)}


def champion_holdout_score(series: SalesSeries, folder: Path) -> dict[str, float]:
    """Refit a saved version's specification and score it on the same holdout."""
    return {PROMOTION_METRIC: evaluate_spec_on_holdout(series, load_spec(folder))}


def train_and_register(
    series: SalesSeries,
    tracking,
    settings: ForecastSettings,
    oracle: dict[str, pd.DataFrame] | None = None,
    progress: Progress | None = None,
    inputs: Sequence[TableVersion] = (),
) -> TrainingReport:
    """Backtest, choose, fit on all history, and hand the result to the model lifecycle: a
    registered version, champion only if it beats the current champion on the same holdout."""
    report = backtest_all(series, settings, oracle, progress)
    spec = make_spec(settings, report.chosen, report.reconciliation, report.intervals)
    bundle = fit_bundle(series, spec)
    forecasts, predict_seconds = forecast_levels(bundle, series, settings.horizon)

    def write_plots(folder: Path) -> None:
        forecast_plot(series, forecasts, folder / "forecast.png")

    def write_backtest(folder: Path) -> None:
        text = json.dumps(report.as_dict(), indent=2, default=float)
        (folder / "backtest.json").write_text(text)

    candidate = Candidate(
        model_name=FORECASTER_MODEL_NAME,
        experiment="forecaster",
        run_name="backtest-choose-fit",
        gate=Gate(PROMOTION_METRIC, higher_is_better=False),
        params={
            **{k: v for k, v in settings.to_dict().items() if k != "candidates"},
            **{f"candidates_{k}": ",".join(v) for k, v in settings.candidates.items()},
            "data_start": str(series.start.date()),
            "data_end": str(series.end.date()),
            **{f"series_{level}": series.units[level].shape[1] for level in LEVELS},
            **{f"chosen_{level}": report.chosen[level] for level in LEVELS},
            "reconciliation": report.reconciliation,
        },
        metrics={
            **_flat_metrics(report),
            **{f"fit_seconds/{k}": v for k, v in bundle.fit_seconds.items()},
            "predict_seconds": predict_seconds,
            "backtest_seconds": report.seconds,
        },
        write_model=bundle.save,
        evaluate_saved=lambda folder: champion_holdout_score(series, folder),
        artifacts={"plots": write_plots, "backtest": write_backtest},
        inputs=inputs,
    )
    result = run_lifecycle(tracking, candidate)
    return TrainingReport(result.run_id, result.version, report, bundle, result.decision)
