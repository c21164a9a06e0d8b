"""The forecaster on the tiny lakehouse: backtests, the MLflow promotion gate both ways, the
Dagster assets in-process, and the `hashira forecast` command."""

import dataclasses
import json

import dagster as dg
import pandas as pd
import pyarrow.dataset as ds
import pytest
from typer.testing import CliRunner

from hashira_assets.forecast.assets import (
    forecaster_model,
    forecasts_are_coherent,
    sales_forecasts,
)
from hashira_assets.forecast.output import coherence_report
from hashira_assets.forecast.registry import train_and_register
from hashira_assets.forecast.series import LEVELS, load_sales_series
from hashira_assets.forecast.settings import FORECASTER_MODEL_NAME, ForecastSettings
from hashira_cli.main import app
from resources.mlflow_tracking import MlflowTrackingResource
from tests.support.gate import assert_gate_both_ways

pytestmark = pytest.mark.integration

# Of the statistical candidates only AutoTheta (the fastest): the bench test below runs them all.
LIGHT = ("seasonal_naive", "auto_theta", "lightgbm")
SMALL = ForecastSettings(
    horizon=14,
    folds=2,
    n_estimators=60,
    max_rows=100_000,
    n_origins=10,
    n_jobs=1,
    candidates={"product": ("seasonal_naive", "lightgbm"), "category": LIGHT, "total": LIGHT},
)
NAIVE_ONLY = dataclasses.replace(SMALL, candidates={level: ("seasonal_naive",) for level in LEVELS})
TRAINING_CONFIG = {
    "horizon_days": 14,
    "backtest_folds": 2,
    "n_estimators": 60,
    "max_train_rows": 100_000,
    "n_origins": 10,
    "n_jobs": 1,
    "category_candidates": list(LIGHT),
    "total_candidates": list(LIGHT),
}
FORECAST_DAYS = 21
runner = CliRunner()


def temporary_tracking(folder) -> MlflowTrackingResource:
    return MlflowTrackingResource(
        tracking_uri=f"sqlite:///{folder}/mlflow.db", artifact_root=(folder / "art").as_uri()
    )


@pytest.fixture(scope="module")
def tiny_series(lakehouse):
    return load_sales_series(lakehouse.lake)


def test_the_gate_both_ways_through_the_shared_lifecycle(tiny_series, tmp_path):
    tracking = temporary_tracking(tmp_path)
    first, _, better, worse = assert_gate_both_ways(
        tracking,
        FORECASTER_MODEL_NAME,
        register_worse=lambda: train_and_register(tiny_series, tracking, NAIVE_ONLY),
        register_better=lambda: train_and_register(tiny_series, tracking, SMALL),
    )
    # The naive-only specification scores exactly the naive: relative MASE 1 on every level.
    assert first.backtest.holdout_score == pytest.approx(1.0)
    # Same evaluation data: the champion, refitted on the same days, scores what its own
    # backtest's last fold scored.
    assert worse.decision.champion_score == pytest.approx(better.backtest.holdout_score)
    assert worse.decision.margin == pytest.approx(better.backtest.holdout_score - 1.0)

    run = tracking.client().get_run(better.run_id)
    assert run.data.params["chosen_product"] in {"seasonal_naive", "lightgbm"}
    assert "product/lightgbm/mase" in run.data.metrics
    assert "total/holdout/coverage_80" in run.data.metrics
    plots = [a.path for a in tracking.client().list_artifacts(better.run_id, "plots")]
    assert plots == ["plots/forecast.png"]


@pytest.fixture(scope="module")
def materialized(lakehouse, tmp_path_factory):
    """The forecast assets materialized twice: with the small settings (promoted), then with a
    deliberately worse naive-only specification (kept out by the gate)."""
    home = tmp_path_factory.mktemp("forecast-home")
    tracking = temporary_tracking(home)
    assets = [forecaster_model, sales_forecasts, forecasts_are_coherent]
    resources = {"lake": lakehouse.lake, "mlflow_tracking": tracking}

    def run(training: dict) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            assets,
            resources=resources,
            run_config={
                "ops": {
                    "forecaster_model": {"config": training},
                    "sales_forecasts": {"config": {"horizon_days": FORECAST_DAYS}},
                }
            },
            raise_on_error=False,
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HASHIRA_HOME", str(home))
        good = run(TRAINING_CONFIG)
        path = home / "forecast" / "sales_forecasts.parquet"
        naive = ["seasonal_naive"]
        worse = run(
            {
                **TRAINING_CONFIG,
                "product_candidates": naive,
                "category_candidates": naive,
                "total_candidates": naive,
            }
        )
    return {"home": home, "good": good, "worse": worse, "path": path}


def _checks(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        e.asset_check_key.name: e
        for e in (
            ev.event_specific_data
            for ev in result.all_events
            if ev.event_type_value == "ASSET_CHECK_EVALUATION"
        )
    }


def test_forecast_assets_materialize_and_pass_their_checks(materialized):
    good = materialized["good"]
    assert good.success
    checks = _checks(good)
    assert set(checks) == {"beats_champion", "forecasts_are_coherent"}
    assert all(check.passed for check in checks.values())
    metadata = good.asset_materializations_for_node("forecaster_model")[0].metadata
    assert metadata["model_version"].value == "1"
    assert metadata["promoted"].value is True
    assert {"mlflow_run_id", "chosen_product", "backtest", "holdout_relative_mase"} <= set(metadata)
    published = good.asset_materializations_for_node("sales_forecasts")[0].metadata
    assert published["product_series"].value == 200
    assert published["dagster/row_count"].value > 200 * FORECAST_DAYS


def test_a_worse_candidate_is_kept_out_and_the_champion_still_serves(materialized):
    worse = materialized["worse"]
    gate = _checks(worse)["beats_champion"]
    assert worse.success and gate.passed
    assert gate.metadata["gate_outcome"].value == "kept" and gate.metadata["margin"].value < 0
    assert "kept out" in gate.metadata["warning"].value
    # The forecasts downstream are rebuilt from the champion, not from the kept-out version.
    published = worse.asset_materializations_for_node("sales_forecasts")[0].metadata
    assert published["model_version"].value == "1"


def test_published_forecasts_are_complete_coherent_and_non_negative(materialized, lakehouse):
    frame = pd.read_parquet(materialized["path"])
    assert coherence_report(materialized["path"])["passed"]
    counts = frame.groupby("level")["series_id"].nunique()
    products = ds.dataset(lakehouse.world.path / "products").to_table().to_pandas()
    assert counts["product"] == len(products)
    assert counts["category"] == products["product_type"].nunique()
    assert counts["total"] == 1
    assert (frame.groupby("level")["horizon"].max() == FORECAST_DAYS).all()
    value_columns = [c for c in frame.columns if c.startswith(("units", "revenue"))]
    assert (frame[value_columns] >= 0).all().all()
    assert frame["date"].min() > frame["cutoff"].max()


def test_a_product_with_under_14_days_of_history_gets_a_sensible_forecast(materialized, lakehouse):
    frame = pd.read_parquet(materialized["path"])
    products = ds.dataset(lakehouse.world.path / "products").to_table().to_pandas()
    cutoff = pd.Timestamp(frame["cutoff"].max())
    recent = products[pd.to_datetime(products["launch_date"]) > cutoff - pd.Timedelta(days=14)]
    assert len(recent), "the tiny world has products launched in its last 14 days"
    rows = frame[frame["level"] == "product"]
    per_product = rows.groupby("product_id")["units"].mean()
    for product_id in recent["product_id"]:
        forecast = per_product[product_id]
        assert forecast > 0
        assert forecast < per_product.max()


def test_cli_prints_a_product_a_category_and_the_total(materialized):
    env = {"HASHIRA_HOME": str(materialized["home"])}
    frame = pd.read_parquet(materialized["path"])
    product = int(frame.loc[frame["level"] == "product", "product_id"].iloc[0])
    category = frame.loc[frame["level"] == "category", "series_id"].iloc[0]
    result = runner.invoke(app, ["forecast", "--product", str(product)], env=env)
    assert result.exit_code == 0, result.output
    assert f"product {product}" in result.output
    assert len([line for line in result.output.splitlines() if line[:4] == "2026"]) == 21
    result = runner.invoke(app, ["forecast", "--category", category.upper()], env=env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["forecast", "--total", "--days", "7"], env=env)
    assert result.exit_code == 0, result.output
    assert len([line for line in result.output.splitlines() if line[:4] == "2026"]) == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--product", "99999"], "no product with id 99999"),
        (["--category", "Spoon"], "unknown category 'Spoon'; choose one of"),
        (["--total", "--days", "91"], "days must be 1 to 90"),
        (["--total", "--days", "30"], "the forecasts cover 21 days"),
        (["--total", "--product", "1"], "exactly one of"),
    ],
)
def test_cli_refuses_bad_input_with_a_message(materialized, args, message):
    env = {"HASHIRA_HOME": str(materialized["home"])}
    result = runner.invoke(app, ["forecast", *args], env=env)
    assert result.exit_code == 2
    assert message in result.output


def test_cli_without_forecasts_says_what_to_materialize(tmp_path):
    result = runner.invoke(app, ["forecast", "--total"], env={"HASHIRA_HOME": str(tmp_path)})
    assert result.exit_code == 2
    assert "materialize `sales_forecasts`" in result.output


def test_bench_writes_metrics_timings_and_the_real_series_check(lakehouse, tmp_path):
    out = tmp_path / "forecaster_tiny.json"
    args = ["bench", "forecaster", "--preset", "tiny", "--home", str(lakehouse.home)]
    small = ["--folds", "2", "--horizon", "14", "--n-estimators", "60", "--n-jobs", "1"]
    real = ["--real-series", "airline"]
    result = runner.invoke(app, [*args, *small, *real, "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert set(report["backtest"]["models"]) == set(LEVELS)
    # Every statistical candidate was backtested at category and total level.
    assert set(report["backtest"]["models"]["total"]) == {
        "seasonal_naive", "arar", "auto_ets", "auto_theta", "auto_arima", "lightgbm",
    }  # fmt: skip
    assert {
        "mase", "smape", "bias", "coverage_80", "randomized_coverage_80", "coverage_95",
        "fit_seconds",
    } <= set(report["backtest"]["models"]["total"]["seasonal_naive"])  # fmt: skip
    assert set(report["summary"]) == set(LEVELS)
    assert report["final"]["fit_and_predict_s"] > 0 and report["peak_rss_mib"] > 0
    # The floor beside the published median: the median of a Poisson around the oracle's
    # expectation, scored on the same last fold as the published median.
    for level in LEVELS:
        last_fold = report["backtest"]["oracle_last_fold"][level]
        assert last_fold["model_median_mase"] == pytest.approx(
            report["backtest"]["holdout"][level]["mase"]
        )
        assert 0 < last_fold["oracle_median_mase"] < float("inf")
    assert "the oracle's median" in result.output
    airline = report["real_series"]["airline"]
    assert airline["beats_naive"] and airline["holdout_mase"] < airline["naive_holdout_mase"]
    assert report["real_series_beating_naive"] == "1/1"
    result = runner.invoke(app, [*args, "--real-series", "airline,moon"])
    assert result.exit_code == 2 and "unknown data sets ['moon']" in result.output


def test_bench_refuses_a_home_of_another_preset(lakehouse, tmp_path):
    args = ["bench", "forecaster", "--preset", "medium", "--home", str(lakehouse.home)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "holds the 'tiny' world" in result.output
