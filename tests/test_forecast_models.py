"""The forecasters on synthetic panels and on real data (sktime's airline passengers)."""

import pickle

import numpy as np
import pandas as pd
import pytest

from hashira_assets.forecast.airline import airline_check
from hashira_assets.forecast.models import GlobalBoostedForecaster

WEEKLY = np.array([0.85, 0.88, 0.92, 0.95, 1.05, 1.30, 1.25])


def panel(n_series: int = 30, n_days: int = 150, new_age_days: int = 10, seed: int = 0):
    """Poisson demand with a weekly cycle; the last series launched `new_age_days` days ago."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2026-03-01", periods=n_days, freq="D")
    rate = rng.uniform(0.5, 3.0, n_series)
    lam = rate[None, :] * WEEKLY[index.weekday][:, None]
    y = rng.poisson(lam).astype(float)
    launch = pd.Series([index[0] - pd.Timedelta(days=30)] * n_series)
    launch.iloc[-1] = index[-new_age_days]
    y[: n_days - new_age_days, -1] = 0.0
    columns = [str(i) for i in range(n_series)]
    info = pd.DataFrame(
        {"launch_date": launch.to_numpy(), "category_code": np.arange(n_series) % 3},
        index=columns,
    )
    return pd.DataFrame(y, index=index, columns=columns), info, rate


def small_model(info) -> GlobalBoostedForecaster:
    return GlobalBoostedForecaster(
        max_horizon=14, n_estimators=60, min_child_samples=20, series_info=info, n_jobs=1
    )


def test_forecasts_are_non_negative_and_intervals_ordered():
    y, info, _ = panel()
    model = small_model(info).fit(y)
    fh = list(range(1, 15))
    mean = model.predict(fh)
    quantiles = model.predict_quantiles(fh, alpha=[0.025, 0.1, 0.5, 0.9, 0.975])
    assert (mean.to_numpy() >= 0).all() and np.isfinite(mean.to_numpy()).all()
    for column in y.columns:
        q = quantiles[column].to_numpy()
        assert (np.diff(q, axis=1) >= 0).all()


def test_weekly_cycle_is_learned():
    y, info, _ = panel()
    mean = small_model(info).fit(y).predict(list(range(1, 15)))
    by_weekday = mean.sum(axis=1).groupby(mean.index.weekday).mean()
    assert by_weekday[5] > 1.2 * by_weekday[0]  # Saturday busier than Monday, as generated


def test_a_product_with_under_14_days_of_history_gets_a_sensible_forecast():
    y, info, rate = panel(new_age_days=10)
    mean = small_model(info).fit(y).predict(list(range(1, 15)))
    newcomer = mean.iloc[:, -1].mean()
    # The newcomer sells like the others (rate drawn the same way): the forecast is positive and
    # on the scale of the established products, not zero and not the whole shop.
    assert 0.3 * rate[:-1].min() < newcomer < 2 * rate[:-1].max()


def test_history_before_the_launch_counts_as_not_yet_on_sale():
    y, info, _ = panel()
    info.loc["0", "launch_date"] = y.index[-1] + pd.Timedelta(days=5)
    y["0"] = 0.0
    mean = small_model(info).fit(y).predict(list(range(1, 15)))
    # Nothing before the launch day; from the launch day on, a forecast.
    assert (mean["0"].iloc[:4] == 0).all() and (mean["0"].iloc[4:] > 0).all()


def test_pickled_model_predicts_the_same():
    y, info, _ = panel()
    model = small_model(info).fit(y)
    again = pickle.loads(pickle.dumps(model))
    fh = list(range(1, 8))
    pd.testing.assert_frame_equal(model.predict(fh), again.predict(fh))


def test_too_short_history_is_refused_with_a_message():
    y, info, _ = panel(n_days=20)
    with pytest.raises(ValueError, match="periods of history"):
        small_model(info).fit(y)


def test_airline_pipeline_beats_seasonal_naive_on_the_1960_holdout():
    check = airline_check()
    assert check.holdout_mase < check.naive_holdout_mase
    assert check.backtest_mase["seasonal_naive"] > min(check.backtest_mase.values())
    # Measured here: ARAR chosen, MASE 0.43 against the seasonal naive's 1.57.
    assert check.relative_mase < 0.8
