"""An independent check on real data: the forecaster's pipeline on sktime's `load_airline`.

Monthly airline passengers 1949-1960 (144 months, trend and multiplicative yearly seasonality).
The same candidates (seasonal naive, ARAR, the global LightGBM model with a yearly season) are
backtested on the first 132 months with sktime's `evaluate`, the lowest MASE is chosen, refitted
on those 132 months and scored on the held-out last 12 against the seasonal naive.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from sktime.datasets import load_airline

from hashira_assets.forecast.backtest import fit_predict, run_backtest, score
from hashira_assets.forecast.models import (
    GlobalBoostedForecaster,
    SeasonalNaiveForecaster,
    make_arar,
)

MONTHS = 12


def airline_models() -> dict:
    """The candidates, set for monthly data: a 12-month season, 3- and 12-month levels."""
    return {
        "seasonal_naive": SeasonalNaiveForecaster(sp=MONTHS),
        "arar": make_arar(),
        "lightgbm": GlobalBoostedForecaster(
            sp=MONTHS,
            windows=(3, 12),
            same_phase_seasons=2,
            year_periods=None,
            max_horizon=MONTHS,
            origin_step=1,
            n_origins=200,
            n_estimators=200,
            num_leaves=7,
            min_child_samples=20,
            dispersion_bins=1,
            n_jobs=1,
        ),
    }


@dataclasses.dataclass(frozen=True)
class AirlineCheck:
    """Backtest MASE per candidate, the chosen model, and holdout MASE of it and the baseline."""

    backtest_mase: dict[str, float]
    chosen: str
    holdout_mase: float
    naive_holdout_mase: float
    holdout_coverage_80: float

    @property
    def relative_mase(self) -> float:
        """The chosen model's holdout MASE over the seasonal naive's."""
        return self.holdout_mase / self.naive_holdout_mase

    def as_dict(self) -> dict:
        """The check as JSON-ready values."""
        return {**dataclasses.asdict(self), "relative_mase": self.relative_mase}


def airline_check(folds: int = 3) -> AirlineCheck:
    """Choose by backtest on 1949-1959, then score 1960 against the seasonal naive."""
    y = load_airline().to_frame("passengers").astype("float64")
    train, test = y.iloc[:-MONTHS], y.iloc[-MONTHS:]
    backtest = {
        name: run_backtest(model, train, None, MONTHS, folds, MONTHS, name).mean_scores()["mase"]
        for name, model in airline_models().items()
    }
    chosen = min(backtest, key=lambda n: backtest[n] if np.isfinite(backtest[n]) else np.inf)
    scores = {}
    for name in {chosen, "seasonal_naive"}:
        forecast, _, _ = fit_predict(airline_models()[name], train, None, None, MONTHS)
        scores[name] = score(train, test, forecast, MONTHS)
    return AirlineCheck(
        backtest_mase=backtest,
        chosen=chosen,
        holdout_mase=scores[chosen]["mase"],
        naive_holdout_mase=scores["seasonal_naive"]["mase"],
        holdout_coverage_80=scores[chosen]["coverage_80"],
    )
