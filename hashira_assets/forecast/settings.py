"""The forecaster's names and settings, without the models: what the asset definitions, the
forecasts' readers and the registry need, importable without sktime (whose import brings PyTorch:
about 12 s of a 2-core machine's `import hashira_assets.definitions`, paid by the code server,
the run's worker and its fork server before the first step)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from hashira_assets.forecast.series import LEVELS

STATISTICAL_MODELS = ("auto_ets", "auto_theta", "auto_arima")
OBJECTIVES = ("auto", "poisson", "scaled_l2")  # the global LightGBM model's

FORECASTER_MODEL_NAME = "hashira-forecaster"
PROMOTION_METRIC = "holdout_relative_mase"
SEASON = 7
MAX_FORECAST_DAYS = 90
BASELINE = "seasonal_naive"
MODEL_NAMES = ("seasonal_naive", "arar", *STATISTICAL_MODELS, "lightgbm")
STATISTICAL = ("arar", *STATISTICAL_MODELS)
DEFAULT_CANDIDATES = {
    # ARAR, AutoETS, AutoTheta and AutoARIMA fit one series at a time: fine for 16 categories
    # and the total, hours for 10,000 products (README, "Sales forecaster"), where the seasonal
    # naive and the global model compete.
    "product": ("seasonal_naive", "lightgbm"),
    "category": ("seasonal_naive", *STATISTICAL, "lightgbm"),
    "total": ("seasonal_naive", *STATISTICAL, "lightgbm"),
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
    # The global model. 150 rounds at 0.1 forecast as well as 300 at 0.05 in half the time, and
    # 500,000 rows as well as 1.4 million at `small`.
    n_estimators: int = 150
    learning_rate: float = 0.1
    max_rows: int = 500_000
    n_origins: int = 52
    # One LightGBM thread: on this 2-core machine, two threads next to any other busy process
    # spin-wait and took 6x the CPU time of one (product backtest on `small`).
    n_jobs: int = 1
    seed: int = 0
    # The global model refits on everything after calibrating its intervals on the last 56 days
    # (twice the fitting time). Without the refit it forecasts from 56 days back: at `medium` the
    # category MASE went from 0.71 to 0.87, the total's from 0.77 to 1.02. For products the scored
    # median did not move and the mean's MASE by 4%, at the cost of half the backtest: their
    # backtest folds (and the gate's holdout, scored the same way) skip it unless
    # `product_backtest_refit`. `final_refit` is for the registered version.
    final_refit: bool = True
    product_backtest_refit: bool = False
    objective: str = "auto"  # Poisson for non-negative values, else scaled squared error

    def __post_init__(self):
        if not 1 <= self.horizon <= MAX_FORECAST_DAYS:
            raise ValueError(f"horizon must be 1 to {MAX_FORECAST_DAYS} days, got {self.horizon}")
        if self.folds < 1:
            raise ValueError("need at least one backtest fold")
        for level in LEVELS:
            names = self.candidates.get(level, ())
            if BASELINE not in names:
                raise ValueError(f"the {level} candidates must include the {BASELINE} baseline")
            unknown = set(names) - set(MODEL_NAMES)
            if unknown:
                raise ValueError(f"unknown models {sorted(unknown)}; use some of {MODEL_NAMES}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}; use one of {OBJECTIVES}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings."""
        data = dataclasses.asdict(self)
        data["candidates"] = {k: list(v) for k, v in self.candidates.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ForecastSettings:
        """Settings back from `to_dict`."""
        known = {field.name for field in dataclasses.fields(cls)}
        data = {k: v for k, v in data.items() if k in known}  # a newer version's extra settings
        data["candidates"] = {k: tuple(v) for k, v in data["candidates"].items()}
        return cls(**data)
