"""The `forecast` group: the sales forecaster (MLflow, promotion gate) and `sales_forecasts`."""

import tempfile

import pyarrow.compute as pc
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)
from pydantic import Field

from hashira_assets.forecast.output import (
    coherence_report,
    forecast_table,
    forecasts_path,
    write_forecasts,
)
from hashira_assets.forecast.series import (
    LEVELS,
    SALES_TABLES,
    load_oracle_units,
    load_sales_series,
)
from hashira_assets.forecast.settings import (
    DEFAULT_CANDIDATES,
    FORECASTER_MODEL_NAME,
    MAX_FORECAST_DAYS,
    PROMOTION_METRIC,
    ForecastSettings,
)
from hashira_assets.gate import gate_check_result, gate_check_spec
from hashira_assets.lake.versions import inputs_table, table_versions
from hashira_assets.metadata import markdown_table
from resources.lake import LakeResource
from resources.mlflow_tracking import MlflowTrackingResource

SALES_INPUTS = [
    "daily_product_sales",
    "daily_category_sales",
    "daily_total_sales",
    "lake_raw_products",
    "lake_raw_shop_calendar",
    "lake_raw_promotions",
]


class ForecasterTrainingConfig(Config):
    """Backtest and model settings of a training run."""

    horizon_days: int = Field(
        default=28, description="Backtest horizon and the steps the global model learns."
    )
    backtest_folds: int = Field(default=3, description="Expanding-window backtest folds.")
    n_estimators: int = Field(default=150, description="LightGBM boosting rounds.")
    learning_rate: float = Field(default=0.1, description="LightGBM learning rate.")
    max_train_rows: int = Field(
        default=500_000, description="Cap on the global model's training rows."
    )
    n_origins: int = Field(default=52, description="Weekly forecast origins the model learns from.")
    final_refit: bool = Field(
        default=True,
        description="Refit the registered global model on all days after calibrating it.",
    )
    product_candidates: list[str] = Field(
        default=list(DEFAULT_CANDIDATES["product"]),
        description=(
            "Models backtested for products: seasonal_naive (always), arar, auto_ets, "
            "auto_theta, auto_arima, lightgbm."
        ),
    )
    category_candidates: list[str] = Field(
        default=list(DEFAULT_CANDIDATES["category"]), description="Models for categories."
    )
    total_candidates: list[str] = Field(
        default=list(DEFAULT_CANDIDATES["total"]), description="Models for the total."
    )
    n_jobs: int = Field(
        default=1,
        description="LightGBM threads; 2 only on an idle machine (see settings.ForecastSettings).",
    )
    seed: int = Field(default=0, description="Seed of the row sampling and LightGBM.")

    def settings(self) -> ForecastSettings:
        """The plain settings object the training functions take."""
        return ForecastSettings(
            horizon=self.horizon_days,
            folds=self.backtest_folds,
            candidates={
                "product": tuple(self.product_candidates),
                "category": tuple(self.category_candidates),
                "total": tuple(self.total_candidates),
            },
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            max_rows=self.max_train_rows,
            n_origins=self.n_origins,
            final_refit=self.final_refit,
            n_jobs=self.n_jobs,
            seed=self.seed,
        )


@asset(
    deps=[*SALES_INPUTS, "lake_raw_oracle_expected_demand"],
    group_name="forecast",
    kinds={"lightgbm", "mlflow"},
    check_specs=[gate_check_spec("forecaster_model")],
)
def forecaster_model(
    context: AssetExecutionContext,
    config: ForecasterTrainingConfig,
    lake: LakeResource,
    mlflow_tracking: MlflowTrackingResource,
) -> MaterializeResult:
    """Daily sales forecaster per product, category and total, chosen per level by backtest,
    registered in MLflow and promoted to `champion` only if it beats the current one on the same
    last 28 days."""
    # Imported here: the models' modules import sktime, and with it PyTorch (about 12 s on a
    # 2-core machine), which every process that loads the definitions would otherwise pay.
    from hashira_assets.forecast.registry import train_and_register

    inputs = table_versions(lake, None, SALES_TABLES)
    series = load_sales_series(lake)
    oracle = load_oracle_units(lake, series)
    report = train_and_register(
        series, mlflow_tracking, config.settings(), oracle, context.log.info, inputs
    )
    backtest = report.backtest
    context.log.info(f"forecaster v{report.version}: {report.decision.reason}")
    rows = [
        {
            "level": level,
            "model": name,
            "MASE": round(scores["mase"], 3),
            "MASE of mean": round(scores["mase_mean"], 3),
            "bias": round(scores["bias"], 3),
            "80% coverage": round(scores["coverage_80"], 3),
            "80% randomized": round(scores["randomized_coverage_80"], 3),
            "95% coverage": round(scores["coverage_95"], 3),
            "chosen": "yes" if backtest.chosen[level] == name else "",
        }
        for level, models in backtest.model_scores().items()
        for name, scores in models.items()
    ]
    reconciled = backtest.reconciled
    return MaterializeResult(
        metadata={
            "mlflow_run_id": report.run_id,
            "model_name": FORECASTER_MODEL_NAME,
            "model_version": report.version,
            "data_end": str(series.end.date()),
            "reconciliation": backtest.reconciliation,
            **{f"chosen_{level}": backtest.chosen[level] for level in LEVELS},
            **{
                f"{level}_relative_mase": round(reconciled[level]["relative_mase"], 4)
                for level in LEVELS
            },
            **{
                f"{level}_{kind}coverage_80": round(reconciled[level][f"{kind}coverage_80"], 4)
                for level in LEVELS
                for kind in ("", "randomized_")
            },
            PROMOTION_METRIC: round(backtest.holdout_score, 4),
            "backtest": MetadataValue.md(markdown_table(rows)),
            "inputs": MetadataValue.md(inputs_table(inputs)),
            "backtest_seconds": round(backtest.seconds, 1),
            **report.decision.as_metadata(),
        },
        check_results=[gate_check_result(report.decision, context.log.warning)],
    )


class SalesForecastConfig(Config):
    """How far ahead `sales_forecasts` looks."""

    horizon_days: int = Field(
        default=28, description=f"Days to forecast, 1 to {MAX_FORECAST_DAYS}."
    )


@asset(deps=[*SALES_INPUTS, forecaster_model], group_name="forecast", kinds={"parquet"})
def sales_forecasts(
    context: AssetExecutionContext,
    config: SalesForecastConfig,
    lake: LakeResource,
    mlflow_tracking: MlflowTrackingResource,
) -> MaterializeResult:
    """Daily units and revenue forecasts with 80% and 95% intervals for every product, category
    and the total, from the champion forecaster; products add up to categories, categories to
    the total."""
    from hashira_assets.forecast.bundle import (  # sktime, as in `forecaster_model`
        OutdatedBundleError,
        fit_bundle,
        forecast_levels,
        load_bundle,
        load_spec,
    )

    if not 1 <= config.horizon_days <= MAX_FORECAST_DAYS:
        raise ValueError(
            f"horizon_days must be 1 to {MAX_FORECAST_DAYS}, got {config.horizon_days}"
        )
    champion = mlflow_tracking.champion_version(FORECASTER_MODEL_NAME)
    if champion is None:
        raise ValueError(f"no champion version of {FORECASTER_MODEL_NAME}; run forecaster_model")
    series = load_sales_series(lake)
    with tempfile.TemporaryDirectory() as tmp:
        folder = mlflow_tracking.download_version(FORECASTER_MODEL_NAME, champion, tmp)
        try:
            bundle = load_bundle(folder)
        except OutdatedBundleError as exc:
            context.log.info(f"champion v{champion}: {exc}; refitting its specification")
            bundle = fit_bundle(series, load_spec(folder))
    if bundle.data_end != str(series.end.date()):
        # The champion was fitted on older data: refit its specification on today's history.
        context.log.info(f"champion v{champion} saw data to {bundle.data_end}; refitting")
        bundle = fit_bundle(series, bundle.spec)
    forecasts, predict_seconds = forecast_levels(bundle, series, config.horizon_days)
    table = forecast_table(series, forecasts, bundle.spec["chosen"], champion)
    path = forecasts_path()
    write_forecasts(table, path)
    preview = table.filter(pc.equal(table["level"], "total")).slice(0, 7)
    columns = ["date", "units", "units_lower_80", "units_upper_80", "revenue"]
    rows = [{k: round(v, 1) if isinstance(v, float) else v for k, v in r.items()} for r in
            preview.select(columns).to_pylist()]  # fmt: skip
    return MaterializeResult(
        metadata={
            "dagster/row_count": table.num_rows,
            **{
                f"{level}_series": len(
                    pc.unique(table.filter(pc.equal(table["level"], level))["series_id"])
                )
                for level in LEVELS
            },
            "horizon_days": config.horizon_days,
            "model_version": champion,
            "cutoff": str(series.end.date()),
            "predict_seconds": round(predict_seconds, 2),
            "path": MetadataValue.path(str(path)),
            "preview": MetadataValue.md(markdown_table(rows)),
        }
    )


@asset_check(asset=sales_forecasts)
def forecasts_are_coherent() -> AssetCheckResult:
    """Every forecast is non-negative, inside its intervals' order, and products add up to their
    category and categories to the total (within rounding)."""
    return AssetCheckResult(**coherence_report(forecasts_path()))
