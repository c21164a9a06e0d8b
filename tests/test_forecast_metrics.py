"""Forecast metrics on tiny hand-made series, with exact expected values."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sktime.forecasting.naive import NaiveForecaster
from sktime.performance_metrics.forecasting import mean_absolute_scaled_error

from hashira_assets.forecast import metrics
from hashira_assets.forecast.models import SeasonalNaiveForecaster

# Two series, seasonal period 2. Series a alternates 1, 3; series b never sells.
Y_TRAIN = np.array([[1, 0], [3, 0], [1, 0], [4, 0], [1, 0]], dtype=float)
Y_TEST = np.array([[2, 0], [4, 1]], dtype=float)
Y_PRED = np.array([[1, 0], [3, 0]], dtype=float)


def test_seasonal_scale_is_the_mean_absolute_seasonal_difference():
    # a: |1-1|, |4-3|, |1-1| -> 1/3; b never sold: scale 0, or none counting from a first sale.
    assert metrics.seasonal_scale(Y_TRAIN, 2, active_only=False) == pytest.approx([1 / 3, 0.0])
    scale = metrics.seasonal_scale(Y_TRAIN, 2)
    assert scale[0] == pytest.approx(1 / 3) and np.isnan(scale[1])


def test_seasonal_scale_counts_only_from_the_first_sale():
    y = np.array([0, 0, 0, 2, 0, 2, 0, 3], dtype=float)
    # All pairs: |0-0|,|2-0|,|0-0|,|2-2|,|0-0|,|3-2| over 6 -> 0.5; active (from index 3 on):
    # pairs whose earlier element is at or after index 3: (3,5) -> 0, (4,6) -> 0, (5,7) -> 1.
    assert metrics.seasonal_scale(y, 2, active_only=False) == pytest.approx([0.5])
    assert metrics.seasonal_scale(y, 2) == pytest.approx([1 / 3])


def test_mase_leaves_out_series_without_a_scale_instead_of_infinity():
    per_series = metrics.mase_per_series(Y_TEST, Y_PRED, metrics.seasonal_scale(Y_TRAIN, 2))
    assert per_series[0] == pytest.approx(1.0 / (1 / 3))
    assert np.isnan(per_series[1])
    assert metrics.mase(Y_TEST, Y_PRED, Y_TRAIN, 2) == pytest.approx(3.0)
    assert metrics.undefined_scale_count(Y_TRAIN, 2) == 1


def test_mase_of_only_undefined_series_is_nan():
    zeros = np.zeros((6, 2))
    assert np.isnan(metrics.mase(zeros[:2], zeros[:2] + 1, zeros, 2))


def test_mase_matches_sktime_on_a_series_with_a_scale():
    rng = np.random.default_rng(0)
    y_train, y_test, y_pred = rng.poisson(3, 40), rng.poisson(3, 7), rng.uniform(1, 5, 7)
    expected = mean_absolute_scaled_error(
        pd.Series(y_test), pd.Series(y_pred), y_train=pd.Series(y_train), sp=7
    )
    ours = metrics.mase(y_test, y_pred, y_train, 7, active_only=False)
    assert ours == pytest.approx(expected)


def test_pooled_mase_weighs_series_by_volume():
    y_train = np.array([[0, 10], [2, 10], [0, 30], [2, 30]], dtype=float)  # scales 0 and 20
    y_test = np.array([[1, 40], [1, 40]], dtype=float)
    y_pred = np.array([[0, 30], [0, 30]], dtype=float)
    # All errors over all scales: (1 + 1 + 10 + 10) / (2 days * (0 + 20)); the series with a zero
    # scale still counts its errors, so a large, predictable series dominates.
    assert metrics.pooled_mase(y_test, y_pred, y_train, 2, active_only=False) == pytest.approx(0.55)


def test_smape_counts_zero_on_zero_as_perfect():
    y = np.array([0.0, 2.0, 1.0])
    f = np.array([0.0, 1.0, 0.0])
    # terms: 0 (0/0), 2*1/3, 2*1/1 -> mean (0 + 2/3 + 2) / 3
    assert metrics.smape(y, f) == pytest.approx((2 / 3 + 2) / 3)


def test_bias_is_relative_total_error():
    assert metrics.bias([2, 2, 4], [3, 3, 4]) == pytest.approx(0.25)
    assert np.isnan(metrics.bias([0, 0], [1, 1]))


def test_coverage_includes_the_bounds():
    y = np.array([[0, 5], [3, 7]], dtype=float)
    lower = np.array([[0, 6], [1, 7]], dtype=float)
    upper = np.array([[1, 9], [2, 8]], dtype=float)
    assert metrics.coverage(y, lower, upper) == pytest.approx(0.5)


def test_vectorized_seasonal_naive_equals_sktime_naive_forecaster():
    rng = np.random.default_rng(1)
    index = pd.date_range("2026-01-01", periods=50, freq="D")
    y = pd.DataFrame(rng.poisson(2, (50, 3)).astype(float), index=index, columns=["a", "b", "c"])
    fh = list(range(1, 16))
    ours = SeasonalNaiveForecaster(sp=7).fit(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for column in y:
            reference = NaiveForecaster(strategy="last", sp=7).fit(y[column])
            pd.testing.assert_series_equal(
                ours.predict(fh)[column], reference.predict(fh), check_names=False
            )
            ours_int = ours.predict_interval(fh, coverage=0.8)[column]
            ref_int = reference.predict_interval(fh, coverage=0.8)
            np.testing.assert_allclose(ours_int.to_numpy(), ref_int.to_numpy())


def test_backtest_folds_tile_the_end_of_the_history():
    from hashira_assets.forecast.backtest import run_backtest

    rng = np.random.default_rng(2)
    index = pd.date_range("2026-01-01", periods=40, freq="D")
    y = pd.DataFrame(rng.poisson(2, (40, 2)).astype(float), index=index, columns=["a", "b"])
    backtest = run_backtest(SeasonalNaiveForecaster(sp=7), y, None, 7, 3, 7, "naive")
    tests = [fold.y_test.index for fold in backtest.folds]
    assert [t[0] for t in tests] == [index[19], index[26], index[33]]
    assert all(len(t) == 7 for t in tests) and tests[-1][-1] == index[-1]
    for fold in backtest.folds:
        # Each fold is fitted on every day before its first forecast day, and forecasts what the
        # same model fitted directly forecasts.
        assert fold.y_train.index[-1] == fold.y_test.index[0] - pd.Timedelta(days=1)
        direct = SeasonalNaiveForecaster(sp=7).fit(fold.y_train).predict(list(range(1, 8)))
        pd.testing.assert_frame_equal(fold.forecast.mean, direct, check_freq=False)
