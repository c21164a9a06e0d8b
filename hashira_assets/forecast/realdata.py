"""An independent check on real series that no one here generated: sktime's bundled data sets.

Monthly, quarterly and yearly series with trend, seasonality, cycles and negative values. For each,
the forecaster's own machinery runs as on the shop's sales: every candidate (seasonal naive,
ARAR, AutoETS, AutoTheta, AutoARIMA, the global LightGBM model set for the frequency) is backtested
with expanding-window folds on all but the last `horizon` periods, the lowest mean MASE is chosen,
refitted on those periods and scored on the held-out last `horizon` against the seasonal naive
(the naive of the last value for yearly data). Nothing here was tuned on these holdouts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from hashira_assets.forecast.backtest import fit_predict, folds_that_fit, run_backtest, score
from hashira_assets.forecast.global_model import GlobalBoostedForecaster
from hashira_assets.forecast.models import SeasonalNaiveForecaster, make_arar
from hashira_assets.forecast.settings import STATISTICAL_MODELS
from hashira_assets.forecast.statistical import make_statistical

REAL_CANDIDATES = ("seasonal_naive", "arar", *STATISTICAL_MODELS, "lightgbm")


def _airline() -> pd.Series:
    from sktime.datasets import load_airline

    return load_airline()


def _shampoo() -> pd.Series:
    from sktime.datasets import load_shampoo_sales

    return load_shampoo_sales()


def _uschange_consumption() -> pd.Series:
    from sktime.datasets import load_uschange

    y, _ = load_uschange()
    # sktime gives a plain 0..186 index; the data (fpp2's uschange) is 1970Q1 to 2016Q3.
    return pd.Series(y.to_numpy(), index=pd.period_range("1970Q1", periods=len(y), freq="Q"))


def _macro(column: str) -> Callable[[], pd.Series]:
    def load() -> pd.Series:
        from sktime.datasets import load_macroeconomic

        return load_macroeconomic()[column]

    return load


def _lynx() -> pd.Series:
    from sktime.datasets import load_lynx

    return load_lynx()


def _yearly_gdp() -> pd.Series:
    quarterly = _macro("realgdp")()
    years = quarterly.groupby(quarterly.index.year).agg(["mean", "size"])
    years = years[years["size"] == 4]["mean"]  # whole years only
    return pd.Series(
        years.to_numpy(), index=pd.period_range(str(years.index[0]), periods=len(years), freq="Y")
    )


@dataclasses.dataclass(frozen=True)
class RealSeries:
    """A bundled data set: how to load it, its season length and the horizon held out."""

    name: str
    frequency: str
    sp: int
    horizon: int
    load: Callable[[], pd.Series]
    description: str


REAL_SERIES = (
    RealSeries("airline", "monthly", 12, 12, _airline, "airline passengers 1949-1960"),
    RealSeries("shampoo", "monthly", 12, 6, _shampoo, "shampoo sales over three years"),
    RealSeries(
        "us_consumption", "quarterly", 4, 8, _uschange_consumption,
        "US consumption, quarterly % change (negative values)",
    ),
    RealSeries("us_real_gdp", "quarterly", 4, 8, _macro("realgdp"), "US real GDP 1959-2009"),
    RealSeries("us_unemployment", "quarterly", 4, 8, _macro("unemp"), "US unemployment rate"),
    RealSeries("us_inflation", "quarterly", 4, 8, _macro("infl"), "US inflation (negatives)"),
    RealSeries("lynx", "yearly", 1, 8, _lynx, "Canadian lynx trappings 1821-1934"),
    RealSeries("us_real_gdp_yearly", "yearly", 1, 6, _yearly_gdp, "US real GDP, yearly mean"),
)  # fmt: skip
REAL_SERIES_NAMES = tuple(s.name for s in REAL_SERIES)


def real_models(sp: int, horizon: int) -> dict:
    """The candidates, set for the frequency: the global model looks at levels over one and
    three seasons (three and eight years for yearly data) and learns every origin."""
    season = max(sp, 1)
    windows = (3, 8) if sp == 1 else (max(2, sp // 4), season)
    return {
        "seasonal_naive": SeasonalNaiveForecaster(sp=season),
        "arar": make_arar(),
        **{name: make_statistical(name, season) for name in STATISTICAL_MODELS},
        "lightgbm": GlobalBoostedForecaster(
            sp=season,
            windows=windows,
            same_phase_seasons=2,
            year_periods=None,
            max_horizon=horizon,
            calibration_windows=1,
            origin_step=1,
            n_origins=400,
            n_estimators=200,
            num_leaves=7,
            min_child_samples=10,
            dispersion_bins=1,
            n_jobs=1,
        ),
    }


@dataclasses.dataclass(frozen=True)
class RealSeriesResult:
    """One data set's backtest MASE per candidate, the choice, and the holdout scores."""

    name: str
    frequency: str
    observations: int
    horizon: int
    folds: int
    backtest_mase: dict[str, float]
    unavailable: dict[str, str]  # candidate -> why it could not be backtested
    chosen: str
    holdout_mase: float
    naive_holdout_mase: float
    holdout_coverage_80: float
    holdout_coverage_95: float

    @property
    def relative_mase(self) -> float:
        """The chosen model's holdout MASE over the seasonal naive's (NaN if the naive's is 0)."""
        if not self.naive_holdout_mase > 0:
            return float("nan")
        return self.holdout_mase / self.naive_holdout_mase

    @property
    def beats_naive(self) -> bool:
        """Whether the chosen model's holdout MASE is below the seasonal naive's."""
        return self.holdout_mase < self.naive_holdout_mase

    def as_dict(self) -> dict:
        """JSON-ready values."""
        return {
            **dataclasses.asdict(self),
            "relative_mase": self.relative_mase,
            "beats_naive": self.beats_naive,
        }


def real_series_check(spec: RealSeries, folds: int = 3) -> RealSeriesResult:
    """Choose by backtest on all but the last `horizon` periods, then score them against the
    seasonal naive."""
    y = spec.load().astype("float64").to_frame(spec.name)
    train, test = y.iloc[: -spec.horizon], y.iloc[-spec.horizon :]
    n_folds = folds_that_fit(len(train), spec.horizon, folds)
    if n_folds < 1:
        raise ValueError(f"{spec.name}: {len(train)} periods are too few to backtest")
    sp = max(spec.sp, 1)
    backtest, unavailable = {}, {}
    for name, model in real_models(spec.sp, spec.horizon).items():
        try:
            result = run_backtest(model, train, None, spec.horizon, n_folds, sp, name, clip=False)
        except ValueError as exc:  # a model that needs more history than a fold has
            unavailable[name] = str(exc)
            continue
        backtest[name] = result.mean_scores()["mase"]
    chosen = min(backtest, key=lambda n: backtest[n] if np.isfinite(backtest[n]) else np.inf)
    scores = {}
    for name in {chosen, "seasonal_naive"}:
        model = real_models(spec.sp, spec.horizon)[name]
        forecast, _, _ = fit_predict(model, train, None, None, spec.horizon, clip=False)
        scores[name] = score(train, test, forecast, sp)
    return RealSeriesResult(
        name=spec.name,
        frequency=spec.frequency,
        observations=len(y),
        horizon=spec.horizon,
        folds=n_folds,
        backtest_mase=backtest,
        unavailable=unavailable,
        chosen=chosen,
        holdout_mase=scores[chosen]["mase"],
        naive_holdout_mase=scores["seasonal_naive"]["mase"],
        holdout_coverage_80=scores[chosen]["coverage_80"],
        holdout_coverage_95=scores[chosen]["coverage_95"],
    )


def real_series_benchmark(
    names: tuple[str, ...] | None = None, folds: int = 3
) -> list[RealSeriesResult]:
    """`real_series_check` on the named data sets (all by default)."""
    wanted = names or REAL_SERIES_NAMES
    unknown = set(wanted) - set(REAL_SERIES_NAMES)
    if unknown:
        raise ValueError(f"unknown data sets {sorted(unknown)}; choose from {REAL_SERIES_NAMES}")
    return [real_series_check(s, folds) for s in REAL_SERIES if s.name in wanted]
