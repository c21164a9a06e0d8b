"""Levels of very many series forecast in groups: exact for per-series models, one global model
per group, the pieces put back in the level's order."""

import numpy as np
import pandas as pd
import pytest

from hashira_assets.forecast import backtest
from hashira_assets.forecast.backtest import QUANTILES, fit_predict
from hashira_assets.forecast.groups import (
    GroupedCalibration,
    GroupedForecaster,
    group_exogenous,
    group_members,
    in_groups,
)
from hashira_assets.forecast.models import SeasonalNaiveForecaster
from tests.test_forecast_models import panel, small_model

FH = list(range(1, 15))


def test_groups_cover_every_series_once_in_near_equal_sizes_across_the_level():
    members = group_members(105_000, 10_000)
    sizes = [len(m) for m in members]
    assert len(members) == 11 and max(sizes) <= 10_000 and max(sizes) - min(sizes) <= 1
    assert sorted(np.concatenate(members).tolist()) == list(range(105_000))
    # Each group spans the level: its first and last series are one group-count from the ends.
    assert all(m[0] < 11 and m[-1] >= 105_000 - 11 for m in members)
    assert [m.tolist() for m in group_members(10_000, 10_000)] == [list(range(10_000))]
    with pytest.raises(ValueError, match="no series"):
        group_members(0)


def test_late_launches_at_the_end_of_the_level_do_not_leave_a_group_without_history():
    # The last half of the series launched 10 days before the end: a group made of them alone
    # (consecutive groups) has no training rows at a backtest cut-off before the launch.
    y, info, _ = panel(n_series=12, n_days=150)
    late = y.columns[6:]
    y.loc[y.index[:-10], late] = 0.0
    info.loc[late, "launch_date"] = y.index[-10]
    cutoff = y.iloc[:-20]
    with pytest.raises(ValueError, match="no training rows"):
        small_model(info).fit(cutoff[late])
    grouped = GroupedForecaster(small_model(info), max_series=6).fit(cutoff)
    assert [m.tolist() for m in grouped.members_] == [[0, 2, 4, 6, 8, 10], [1, 3, 5, 7, 9, 11]]
    assert list(grouped.predict(FH).columns) == list(y.columns)


def test_a_group_gets_the_shared_columns_and_only_its_own_series_columns():
    X = pd.DataFrame(
        0.0, index=range(3), columns=["festival", "discount:1", "discount:2", "discount:12"]
    )
    assert list(group_exogenous(X, ["1", "12"]).columns) == [
        "festival",
        "discount:1",
        "discount:12",
    ]
    assert group_exogenous(None, ["1"]) is None


def test_a_level_within_the_limit_keeps_its_own_model():
    model = SeasonalNaiveForecaster()
    assert in_groups(model, 3, max_series=3) is model
    assert isinstance(in_groups(model, 4, max_series=3), GroupedForecaster)


def test_seasonal_naive_in_groups_is_the_same_forecast():
    y, _, _ = panel(n_series=10)
    whole = SeasonalNaiveForecaster().fit(y)
    grouped = GroupedForecaster(SeasonalNaiveForecaster(), max_series=3).fit(y)
    assert len(grouped.models_) == 4
    pd.testing.assert_frame_equal(grouped.predict(FH), whole.predict(FH))
    alpha = list(QUANTILES)
    pd.testing.assert_frame_equal(
        grouped.predict_quantiles(FH, alpha=alpha), whole.predict_quantiles(FH, alpha=alpha)
    )
    assert grouped.interval_calibration is None  # the naive has no calibrated distribution


def test_a_global_model_per_group_with_each_groups_calibration():
    y, info, _ = panel(n_series=12)
    grouped = GroupedForecaster(small_model(info), max_series=6).fit(y)
    mean = grouped.predict(FH)
    assert list(mean.columns) == list(y.columns)
    for members, model in zip(grouped.members_, grouped.models_, strict=True):
        pd.testing.assert_frame_equal(mean.iloc[:, members], model.predict(FH))
    quantiles = grouped.predict_quantiles(FH, alpha=list(QUANTILES))
    assert list(quantiles.columns.get_level_values(0).unique()) == list(y.columns)
    second_members = grouped.members_[1]
    pd.testing.assert_frame_equal(
        quantiles[list(y.columns[second_members])],
        grouped.models_[1].predict_quantiles(FH, alpha=list(QUANTILES)),
    )
    calibration = grouped.interval_calibration
    assert isinstance(calibration, GroupedCalibration)
    values = mean.to_numpy()
    quantile = calibration.quantile(0.9, values)
    second = grouped.models_[1].interval_calibration
    np.testing.assert_array_equal(
        quantile[:, second_members], second.quantile(0.9, values[:, second_members])
    )
    covered = calibration.coverage(y.iloc[-14:].to_numpy(), values, 0.1, 0.9)
    assert covered.shape == values.shape and ((covered >= 0) & (covered <= 1)).all()


def test_fit_predict_groups_a_level_over_the_limit(monkeypatch):
    y, _, _ = panel(n_series=8)
    whole, _, _ = fit_predict(SeasonalNaiveForecaster(), y, None, None, 14)
    made = []

    def groups_of_three(model, n_series):
        made.append(GroupedForecaster(model, max_series=3))
        return made[-1]

    monkeypatch.setattr(backtest, "in_groups", groups_of_three)
    grouped, _, _ = fit_predict(SeasonalNaiveForecaster(), y, None, None, 14)
    assert len(made[0].models_) == 3
    pd.testing.assert_frame_equal(grouped.mean, whole.mean)
    for alpha in QUANTILES:
        pd.testing.assert_frame_equal(grouped.quantiles[alpha], whole.quantiles[alpha])


def test_the_whole_forecaster_runs_a_level_in_groups(monkeypatch):
    """Backtest, final fit and reconciled forecast with the product level split in groups."""
    from bench.bench_forecast_scale import synthetic_series
    from hashira_assets.forecast import groups
    from hashira_assets.forecast.bundle import fit_bundle, forecast_levels, make_spec
    from hashira_assets.forecast.reconcile import incoherence
    from hashira_assets.forecast.settings import ForecastSettings
    from hashira_assets.forecast.training import backtest_all

    monkeypatch.setattr(groups, "MAX_GROUP_SERIES", 25)
    series = synthetic_series(n_products=60, n_days=140)
    settings = ForecastSettings(
        horizon=14,
        folds=2,
        n_estimators=20,
        candidates={
            "product": ("seasonal_naive", "lightgbm"),
            "category": ("seasonal_naive",),
            "total": ("seasonal_naive",),
        },
    )
    report = backtest_all(series, settings)
    assert set(report.results["product"]) == {"seasonal_naive", "lightgbm"}
    spec = make_spec(settings, {**report.chosen, "product": "lightgbm"}, "bottom_up")
    bundle = fit_bundle(series, spec)
    assert len(bundle.models["product"].models_) == 3  # 60 series in groups of at most 25
    forecasts, _ = forecast_levels(bundle, series, 14)
    assert list(forecasts["product"].mean.columns) == list(series.units["product"].columns)
    assert incoherence(forecasts, series.product_category()) < 1e-6


def test_backtest_folds_keep_views_of_the_history_not_copies():
    y, _, _ = panel(n_series=5, n_days=120)
    result = backtest.run_backtest(SeasonalNaiveForecaster(), y, None, 14, 2, 7, "naive")
    assert len(result.folds) == 2
    for fold in result.folds:
        assert np.shares_memory(fold.y_train.to_numpy(), y.to_numpy())
        assert fold.y_train.index[0] == y.index[0] and fold.y_test.index[-1] <= y.index[-1]
