"""Interval distributions: quantiles, randomized coverage and calibration, with exact values on
hand-made cases."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hashira_assets.forecast import intervals as I
from hashira_assets.forecast.reconcile import LevelForecast, reconcile


def test_negative_binomial_quantiles():
    mean = np.array([0.0, 2.0, 2.0])
    assert I.negative_binomial_quantile(0.5, mean, 0.0).tolist() == [0.0, 2.0, 2.0]
    # Overdispersion widens the upper quantile; zero mean stays exactly zero.
    wide = I.negative_binomial_quantile(0.975, mean, 1.0)
    narrow = I.negative_binomial_quantile(0.975, mean, 0.0)
    assert wide[0] == 0.0 and wide[1] > narrow[1]


def test_negative_binomial_cdf_matches_scipy():
    k = np.array([-1, 0, 1, 3, 10], dtype=float)
    assert I.negative_binomial_cdf(k, 2.0, 0.0) == pytest.approx(stats.poisson.cdf(k, 2.0))
    n = 1 / 0.5
    expected = stats.nbinom.cdf(k, n, n / (n + 2.0))
    assert I.negative_binomial_cdf(k, 2.0, 0.5) == pytest.approx(expected)
    # A zero mean is a point mass at zero.
    assert I.negative_binomial_cdf(k, 0.0, 0.5).tolist() == [0, 1, 1, 1, 1]


def test_randomized_coverage_counts_the_share_of_the_step_inside():
    # P(0) = 0.9: the actual 0 has the step [0, 0.9]; 0.8 of it lies in [0.1, 0.9].
    assert I.randomized_coverage([0.0], [0.9], 0.1, 0.9) == pytest.approx([0.8 / 0.9])
    # The actual 1 has the step [0.9, 1.0]: nothing of it inside [0.1, 0.9].
    assert I.randomized_coverage([0.9], [1.0], 0.1, 0.9) == pytest.approx([0.0])
    # A continuous forecast (no step): 1 inside the interval, 0 outside.
    assert I.randomized_coverage([0.5, 0.95], [0.5, 0.95], 0.1, 0.9).tolist() == [1.0, 0.0]


def test_a_true_count_distribution_has_nominal_randomized_coverage_but_not_plain():
    rng = np.random.default_rng(0)
    mean = rng.gamma(0.3, 1.0, 200_000)  # sparse products: most days sell nothing
    actual = rng.poisson(mean).astype(float)
    randomized = I.nb_randomized_coverage(actual, mean, 0.0, 0.1, 0.9).mean()
    lower = I.negative_binomial_quantile(0.1, mean, 0.0)
    upper = I.negative_binomial_quantile(0.9, mean, 0.0)
    plain = ((actual >= lower) & (actual <= upper)).mean()
    assert randomized == pytest.approx(0.8, abs=0.005)
    assert plain > 0.9  # [0, 0] "80%" intervals contain every day without a sale


def test_calibration_recovers_the_dispersion_of_overdispersed_counts():
    rng = np.random.default_rng(1)
    mean = rng.uniform(1, 50, 20_000)
    n = 1 / 0.2
    actual = rng.negative_binomial(n, n / (n + mean)).astype(float)
    calibration = I.calibrate(mean, actual, n_bins=1)
    assert calibration.family == I.NEGATIVE_BINOMIAL
    assert calibration.params[0] == pytest.approx(0.2, rel=0.25)
    covered = calibration.coverage(actual, mean, 0.1, 0.9).mean()
    assert covered == pytest.approx(0.8, abs=0.01)


def test_a_coarse_grid_cannot_fit_a_big_series_and_the_fine_one_can():
    # A total of ~3,000 a day with 4% errors: dispersion ~0.0016, between the old grid's 0 and 0.01.
    rng = np.random.default_rng(2)
    mean = rng.uniform(2500, 3500, 3_000)
    actual = np.round(mean * (1 + 0.04 * rng.standard_normal(len(mean))))
    calibration = I.calibrate(mean, actual, n_bins=1)
    assert 0.0005 < calibration.params[0] < 0.005
    assert calibration.coverage(actual, mean, 0.1, 0.9).mean() == pytest.approx(0.8, abs=0.03)


def test_real_values_get_a_normal_distribution():
    rng = np.random.default_rng(3)
    mean = rng.normal(0, 1, 5_000)
    actual = mean + rng.normal(0, 0.5, len(mean))  # negative and non-integer values
    calibration = I.calibrate(mean, actual, n_bins=1)
    assert calibration.family == I.NORMAL
    assert calibration.params[0] == pytest.approx(0.5, rel=0.1)
    assert calibration.quantile(0.9, np.array([1.0]))[0] == pytest.approx(
        1 + stats.norm.ppf(0.9) * calibration.params[0]
    )
    assert calibration.coverage(actual, mean, 0.1, 0.9).mean() == pytest.approx(0.8, abs=0.02)


def test_calibration_round_trips_through_json_values():
    calibration = I.IntervalCalibration(I.NEGATIVE_BINOMIAL, (0.5, 2.0), (0.0, 0.1, 0.3), 900)
    assert I.IntervalCalibration.from_dict(calibration.as_dict()) == calibration
    assert calibration.param_at(np.array([0.1, 0.5, 1.0, 5.0])).tolist() == [0.0, 0.1, 0.1, 0.3]
    with pytest.raises(ValueError, match="one parameter per bin"):
        I.IntervalCalibration(I.NORMAL, (1.0,), (0.5,))
    with pytest.raises(ValueError, match="unknown family"):
        I.IntervalCalibration("cauchy", (), (1.0,))


DAYS = pd.date_range("2026-11-01", periods=2, freq="D")


def _forecast(values, columns, calibration=None) -> LevelForecast:
    mean = pd.DataFrame(np.asarray(values, dtype=float), index=DAYS, columns=columns)
    if calibration is None:
        return LevelForecast(mean, {0.1: mean * 0.5, 0.5: mean, 0.9: mean * 2})
    quantiles = {a: mean * 0 + calibration.quantile(a, mean.to_numpy()) for a in (0.1, 0.5, 0.9)}
    return LevelForecast(mean, quantiles, calibration)


def test_reconciliation_recomputes_a_calibrated_distribution_at_the_new_mean():
    poisson = I.IntervalCalibration(I.NEGATIVE_BINOMIAL, (), (0.0,))
    data = {
        "product": _forecast([[2, 6], [1, 1]], ["p1", "p2"], poisson),
        "category": _forecast([[16], [2]], ["A"]),
        "total": _forecast([[16], [2]], ["total"]),
    }
    out = reconcile(data, pd.Series({"p1": "A", "p2": "A"}), "middle_out")
    # Products doubled on day 1 (8 -> 16): their quantiles are Poisson's at 4 and 12.
    assert out["product"].mean.iloc[0].tolist() == [4.0, 12.0]
    assert out["product"].quantiles[0.9].iloc[0].tolist() == [
        stats.poisson.ppf(0.9, 4.0),
        stats.poisson.ppf(0.9, 12.0),
    ]
    assert out["product"].calibration is poisson


def test_published_intervals_keep_the_median_and_take_the_calibration():
    forecast = _forecast([[10.0], [20.0]], ["total"])
    wider = I.IntervalCalibration(I.NEGATIVE_BINOMIAL, (), (0.5,))
    out = forecast.with_intervals(wider)
    pd.testing.assert_frame_equal(out.quantiles[0.5], forecast.quantiles[0.5])
    expected = I.negative_binomial_quantile(0.9, np.array([10.0, 20.0]), 0.5)
    assert out.quantiles[0.9]["total"].tolist() == expected.tolist()
    assert (out.quantiles[0.1] <= out.quantiles[0.5]).all().all()
