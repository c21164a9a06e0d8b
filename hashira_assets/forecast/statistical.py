"""Statistical candidates: statsforecast's AutoETS, AutoTheta and AutoARIMA through sktime's
adapters (univariate, without the calendar and promotions: sktime fits one model per column).

Each fits one series at a time in statsforecast's compiled code. Measured per series (about
0.25 s each at `medium`, README "Sales forecaster"), that is fine for 16 categories and the
total, and out of budget for 10,000 products, where the seasonal naive and the global model
compete.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

from sktime.forecasting.base import BaseForecaster
from sktime.forecasting.statsforecast import (
    StatsForecastAutoARIMA,
    StatsForecastAutoETS,
    StatsForecastAutoTheta,
)

from hashira_assets.forecast.settings import STATISTICAL_MODELS

# R's forecast::auto.arima searches with an approximate likelihood on long or high-frequency
# series; statsforecast leaves it off. On a 730-day category it is 0.8 s against 6.8 s per fit.
APPROXIMATE_ABOVE = 150


class AutoETS(StatsForecastAutoETS):
    """sktime's statsforecast AutoETS (Hyndman's ets: error, trend and season chosen by AICc)."""

    _config: ClassVar[dict] = {"remember_data": False}


class AutoTheta(StatsForecastAutoTheta):
    """sktime's statsforecast AutoTheta (the M3 winner's theta models, chosen by in-sample MSE)."""

    _config: ClassVar[dict] = {"remember_data": False}


class AutoARIMA(StatsForecastAutoARIMA):
    """sktime's statsforecast AutoARIMA, approximating the likelihood during the order search as
    R's auto.arima does (more than 150 observations or a season over 12) when `approximation`
    is None. Univariate, like the others: sktime would
    hand every column's model the whole level's exogenous frame (every category's discount as a
    regressor of each category), which took 12 s per category fit instead of 1 s and forecast
    worse."""

    _tags: ClassVar[dict] = {"capability:exogenous": False}
    _config: ClassVar[dict] = {"remember_data": False}

    def _fit(self, y, X, fh):
        self._n_observations = len(y)
        with warnings.catch_warnings():
            # The order search tries models whose optimizer stops early; the chosen one is fine.
            warnings.filterwarnings("ignore", message="possible convergence problem")
            return super()._fit(y, None, fh)

    def _get_statsforecast_params(self) -> dict:
        params = super()._get_statsforecast_params()
        if params["approximation"] is None:
            n = getattr(self, "_n_observations", 0)
            params["approximation"] = n > APPROXIMATE_ABOVE or self.sp > 12
        return params


# AutoARIMA's order search for the daily sales: orders up to 3 (seasonal 1) instead of R's 5 and
# 2. Backtested on the categories, the same MASE (0.961 against 0.960 at `small`, 1.353 against
# 1.363 at `medium`) in 55-65% of the time (20 s against 31 s for 3 folds at `small`).
DAILY_ARIMA_SEARCH = {"max_p": 3, "max_q": 3, "max_P": 1, "max_Q": 1, "max_order": 4}


def make_statistical(name: str, sp: int, daily_sales: bool = False) -> BaseForecaster:
    """A fresh statistical forecaster with season length `sp` (1 for none). For `daily_sales`
    AutoARIMA searches fewer orders with the approximate likelihood however short the history
    (R's rule would search a 100-day category exactly, 4x slower, no better)."""
    if name == "auto_ets":
        return AutoETS(season_length=sp)
    if name == "auto_theta":
        return AutoTheta(season_length=sp)
    if name == "auto_arima":
        if daily_sales:
            return AutoARIMA(sp=sp, seasonal=sp > 1, approximation=True, **DAILY_ARIMA_SEARCH)
        return AutoARIMA(sp=sp, seasonal=sp > 1)
    raise ValueError(f"unknown statistical model {name!r}; use one of {STATISTICAL_MODELS}")
