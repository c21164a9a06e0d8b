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
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

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
    TOTAL_ID,
    SalesSeries,
    UnknownSeriesError,
    daily_index,
    exogenous,
    series_info,
)
from resources import settings as hashira_settings

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


# ---------------------------------------------------------------------------------- output
FORECAST_SCHEMA = pa.schema(
    [
        ("level", pa.string()),
        ("series_id", pa.string()),
        ("product_id", pa.int32()),
        ("category", pa.string()),
        ("date", pa.date32()),
        ("horizon", pa.int16()),
        ("units", pa.float64()),
        ("units_median", pa.float64()),
        ("units_lower_80", pa.float64()),
        ("units_upper_80", pa.float64()),
        ("units_lower_95", pa.float64()),
        ("units_upper_95", pa.float64()),
        ("revenue", pa.float64()),
        ("revenue_lower_80", pa.float64()),
        ("revenue_upper_80", pa.float64()),
        ("revenue_lower_95", pa.float64()),
        ("revenue_upper_95", pa.float64()),
        ("model", pa.string()),
        ("model_version", pa.string()),
        ("cutoff", pa.date32()),
    ]
)
QUANTILE_COLUMNS = {
    "units_median": 0.5,
    "units_lower_80": 0.1,
    "units_upper_80": 0.9,
    "units_lower_95": 0.025,
    "units_upper_95": 0.975,
}


def revenue_forecasts(
    series: SalesSeries, forecasts: dict[str, LevelForecast]
) -> dict[str, pd.DataFrame]:
    """Expected revenue per level: each product's units times its list price less the planned
    discount of the day, summed to categories and the total (so revenue adds up too)."""
    units = forecasts["product"].mean
    discount = series.discounts.reindex(index=units.index, columns=units.columns)
    price = series.products["price"].reindex(units.columns).to_numpy()
    product = units * price[None, :] * (1.0 - discount)
    category_of = series.product_category()
    category = product.T.groupby(category_of.reindex(product.columns).to_numpy()).sum().T
    category = category.reindex(columns=forecasts["category"].mean.columns).fillna(0.0)
    return {
        "product": product,
        "category": category,
        "total": product.sum(axis=1).to_frame(TOTAL_ID),
    }


def forecast_table(
    series: SalesSeries,
    forecasts: dict[str, LevelForecast],
    chosen: dict[str, str],
    model_version: str,
) -> pa.Table:
    """Long table of every series' daily forecast with 80% and 95% intervals (units, revenue)."""
    revenue = revenue_forecasts(series, forecasts)
    category_of = series.product_category()
    frames = []
    for level in LEVELS:
        mean = forecasts[level].mean
        n_days, n_series = mean.shape
        ids = np.tile(np.asarray(mean.columns, dtype=object), n_days)
        frame = pd.DataFrame(
            {
                "level": level,
                "series_id": ids,
                "date": np.repeat(mean.index.date, n_series),
                "horizon": np.repeat(np.arange(1, n_days + 1), n_series),
                "units": mean.to_numpy().ravel(),
            }
        )
        for column, alpha in QUANTILE_COLUMNS.items():
            frame[column] = forecasts[level].quantiles[alpha].to_numpy().ravel()
        level_revenue = revenue[level].reindex(columns=mean.columns).to_numpy().ravel()
        frame["revenue"] = level_revenue
        # Interval of revenue: the units interval at the series' expected price per unit.
        unit_price = np.divide(
            level_revenue,
            frame["units"].to_numpy(),
            out=np.zeros(len(frame)),
            where=frame["units"].to_numpy() > 0,
        )
        for bound in ("lower_80", "upper_80", "lower_95", "upper_95"):
            frame[f"revenue_{bound}"] = frame[f"units_{bound}"] * unit_price
        if level == "product":
            frame["product_id"] = frame["series_id"].astype(int)
            frame["category"] = category_of.reindex(frame["series_id"]).to_numpy()
        else:
            frame["product_id"] = pd.array([None] * len(frame), dtype="Int32")
            frame["category"] = frame["series_id"] if level == "category" else None
        frame["model"] = chosen[level]
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    table["model_version"] = model_version
    table["cutoff"] = series.end.date()
    return pa.Table.from_pandas(
        table[FORECAST_SCHEMA.names], schema=FORECAST_SCHEMA, preserve_index=False
    )


def forecasts_path() -> Path:
    """Where `sales_forecasts` is published for the UI and the CLI."""
    return hashira_settings.hashira_home() / "forecast" / "sales_forecasts.parquet"


def write_forecasts(table: pa.Table, path: Path) -> None:
    """Write atomically, so the UI never reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)


def forecast_plot(
    series: SalesSeries, forecasts: dict[str, LevelForecast], path: Path, history_days: int = 120
) -> Path:
    """PNG of the total, the busiest category and the busiest product: recent history, forecast
    and its 80% and 95% intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    picks = [
        ("total", TOTAL_ID),
        ("category", series.units["category"].iloc[-history_days:].sum().idxmax()),
        ("product", series.units["product"].iloc[-history_days:].sum().idxmax()),
    ]
    fig, axes = plt.subplots(len(picks), 1, figsize=(10, 9), sharex=True)
    for ax, (level, sid) in zip(axes, picks, strict=True):
        history = series.units[level][sid].iloc[-history_days:]
        forecast = forecasts[level]
        ax.plot(history.index, history.to_numpy(), color="black", linewidth=1, label="actual")
        ax.plot(forecast.mean.index, forecast.mean[sid], color="C0", label="forecast (mean)")
        for (lo, hi), alpha in (((0.025, 0.975), 0.15), ((0.1, 0.9), 0.3)):
            ax.fill_between(
                forecast.mean.index,
                forecast.quantiles[lo][sid],
                forecast.quantiles[hi][sid],
                color="C0",
                alpha=alpha,
                linewidth=0,
            )
        ax.set_title(f"{level}: {sid}")
        ax.set_ylabel("units per day")
    axes[0].legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------------- MLflow
@dataclasses.dataclass(frozen=True)
class TrainingReport:
    """What one training run produced: MLflow run, version, backtests, bundle, decision."""

    run_id: str
    version: str
    backtest: BacktestReport
    bundle: ForecasterBundle
    decision: Any


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
        for key, value in report.reconciled[report.reconciliation][level].items():
            out[f"{level}/reconciled/{key}"] = value
    out[PROMOTION_METRIC] = report.holdout_score
    return {k: float(v) for k, v in out.items() if v is not None and np.isfinite(v)}


def champion_holdout_score(series: SalesSeries, tracking, version: str) -> float:
    """Refit a registered version's specification and score it on the same holdout."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = tracking.download_version(FORECASTER_MODEL_NAME, version, tmp)
        spec = load_spec(folder)
    return evaluate_spec_on_holdout(series, spec)


def train_and_register(
    series: SalesSeries,
    tracking,
    settings: ForecastSettings,
    oracle: dict[str, pd.DataFrame] | None = None,
    progress: Progress | None = None,
) -> TrainingReport:
    """Backtest, choose, fit on all history, log everything to MLflow, register a version and
    move `champion` to it only if it beats the current champion on the same holdout."""
    run_id = tracking.start_run(
        "forecaster",
        run_name="backtest-choose-fit",
        params={
            **{k: v for k, v in settings.to_dict().items() if k != "candidates"},
            **{f"candidates_{k}": ",".join(v) for k, v in settings.candidates.items()},
            "data_start": str(series.start.date()),
            "data_end": str(series.end.date()),
            **{f"series_{level}": series.units[level].shape[1] for level in LEVELS},
        },
    )
    try:
        report = backtest_all(series, settings, oracle, progress)
        spec = make_spec(settings, report.chosen, report.reconciliation)
        bundle = fit_bundle(series, spec)
        forecasts, predict_seconds = forecast_levels(bundle, series, settings.horizon)
        client = tracking.client()
        for level in LEVELS:
            client.log_param(run_id, f"chosen_{level}", report.chosen[level])
        client.log_param(run_id, "reconciliation", report.reconciliation)
        tracking.log_metrics(
            run_id,
            {
                **_flat_metrics(report),
                **{f"fit_seconds/{k}": v for k, v in bundle.fit_seconds.items()},
                "predict_seconds": predict_seconds,
                "backtest_seconds": report.seconds,
            },
        )
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            bundle.save(root / "model")
            forecast_plot(series, forecasts, root / "plots" / "forecast.png")
            (root / "backtest").mkdir()
            (root / "backtest" / "backtest.json").write_text(
                json.dumps(report.as_dict(), indent=2, default=float)
            )
            for folder in ("model", "plots", "backtest"):
                tracking.log_artifacts(run_id, root / folder, folder)
        version = tracking.register_version(FORECASTER_MODEL_NAME, run_id, "model")
        decision = tracking.promote_if_better(
            FORECASTER_MODEL_NAME,
            version,
            PROMOTION_METRIC,
            report.holdout_score,
            lambda champion: champion_holdout_score(series, tracking, champion),
            higher_is_better=False,
        )
        if decision.champion_score is not None:
            client.set_model_version_tag(
                FORECASTER_MODEL_NAME,
                version,
                "margin",
                f"{decision.champion_score - decision.candidate_score:+.4f}",
            )
            client.set_model_version_tag(
                FORECASTER_MODEL_NAME, version, "champion_score", str(decision.champion_score)
            )
        client.set_model_version_tag(
            FORECASTER_MODEL_NAME, version, "promoted", str(decision.promoted).lower()
        )
        tracking.end_run(run_id)
    except BaseException:
        tracking.end_run(run_id, status="FAILED")
        raise
    return TrainingReport(run_id, version, report, bundle, decision)


def gate_status(tracking) -> dict[str, Any]:
    """The newest registered version against the champion, from the registry's tags."""
    client = tracking.client()
    versions = client.search_model_versions(f"name='{FORECASTER_MODEL_NAME}'")
    if not versions:
        return {"passed": False, "reason": "no registered version"}
    latest = max(versions, key=lambda v: int(v.version))
    champion = tracking.champion_version(FORECASTER_MODEL_NAME)
    tags = dict(latest.tags)
    status: dict[str, Any] = {
        "passed": champion == str(latest.version),
        "candidate_version": str(latest.version),
        "champion_version": champion or "none",
        "reason": tags.get("promotion", ""),
        "candidate_score": float(tags.get(f"eval_{PROMOTION_METRIC}", "nan")),
    }
    if "champion_score" in tags:
        status["champion_score"] = float(tags["champion_score"])
        # Lower is better: a negative margin is how much the candidate lost by.
        status["margin"] = status["champion_score"] - status["candidate_score"]
        # A retraining on the same data with the same settings ties: the champion is kept and
        # nothing was lost, so the gate lets the forecasts be rebuilt.
        status["passed"] = status["passed"] or status["margin"] == 0
    return status


def read_forecasts(path: Path) -> pd.DataFrame:
    """The published forecasts, or a clear error when they were never materialized."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; materialize the sales_forecasts asset")
    return pq.read_table(path).to_pandas()


def coherence_report(path: Path, tolerance: float = 1e-6) -> dict[str, Any]:
    """Whether published forecasts are non-negative, have ordered interval bounds, and add up
    (products to their category, categories to the total, per day); as check result fields."""
    if not path.exists():
        return {"passed": False, "metadata": {"reason": f"{path} does not exist"}}
    table = read_forecasts(path)
    values = [c for c in table.columns if c.startswith(("units", "revenue"))]
    negative = int((table[values] < 0).sum().sum())
    disordered = int(
        (
            (table["units_lower_95"] > table["units_lower_80"] + tolerance)
            | (table["units_lower_80"] > table["units_upper_80"] + tolerance)
            | (table["units_upper_80"] > table["units_upper_95"] + tolerance)
        ).sum()
    )
    by_level = {level: table[table["level"] == level] for level in LEVELS}
    product_sum = by_level["product"].groupby(["date", "category"])["units"].sum()
    category = by_level["category"].set_index(["date", "category"])["units"]
    category_gap = float((product_sum.reindex(category.index).fillna(0.0) - category).abs().max())
    category_sum = by_level["category"].groupby("date")["units"].sum()
    total = by_level["total"].set_index("date")["units"]
    total_gap = float((category_sum.reindex(total.index).fillna(0.0) - total).abs().max())
    scale = max(1.0, float(total.max()))
    passed = negative == 0 and disordered == 0 and max(category_gap, total_gap) <= tolerance * scale
    return {
        "passed": bool(passed),
        "metadata": {
            "rows": len(table),
            "negative_values": negative,
            "disordered_intervals": disordered,
            "max_category_gap": category_gap,
            "max_total_gap": total_gap,
        },
    }


def select_forecast(
    frame: pd.DataFrame,
    product: int | None = None,
    category: str | None = None,
    total: bool = False,
    days: int | None = None,
) -> pd.DataFrame:
    """One series' rows of the published forecasts, the first `days` days (all when None); clear
    errors for an unknown product or category and for more days than were forecast."""
    if days is not None and not 1 <= days <= MAX_FORECAST_DAYS:
        raise ValueError(f"days must be 1 to {MAX_FORECAST_DAYS}, got {days}")
    if product is not None:
        rows = frame[(frame["level"] == "product") & (frame["product_id"] == product)]
        if rows.empty:
            raise UnknownSeriesError(f"no product with id {product} in the forecasts")
    elif category is not None:
        categories = sorted(frame.loc[frame["level"] == "category", "series_id"].unique())
        match = [c for c in categories if c.lower() == category.strip().lower()]
        if not match:
            raise UnknownSeriesError(
                f"unknown category {category!r}; choose one of {', '.join(categories)}"
            )
        rows = frame[(frame["level"] == "category") & (frame["series_id"] == match[0])]
    elif total:
        rows = frame[frame["level"] == "total"]
    else:
        raise ValueError("choose a product, a category or the total")
    available = int(rows["horizon"].max())
    days = available if days is None else days
    if days > available:
        raise ValueError(
            f"the forecasts cover {available} days; materialize sales_forecasts with "
            f"horizon_days={days} for more"
        )
    return rows.sort_values("date").head(days).reset_index(drop=True)
