"""The global model's training rows: history and exogenous data on one integer time axis, and the
features of every (series, forecast origin, step) known at the origin.

Values may be any real numbers (net units after returns can be negative): levels are taken over
absolute values, and "since the last sale" means since the last non-zero value.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from hashira_assets.forecast.series import SERIES_COLUMN_SEPARATOR

MIN_BASE = 1e-3


class Timeline:
    """History and exogenous data on one integer time axis (0 = first observed period)."""

    def __init__(self, y: pd.DataFrame, X: pd.DataFrame | None, series_info, sp: int):
        self.index = y.index
        self.columns = y.columns
        self.values = y.to_numpy(dtype="float64")
        n_time, n_series = self.values.shape
        magnitude = np.abs(self.values)
        self.cumsum = np.vstack([np.zeros((1, n_series)), np.cumsum(magnitude, axis=0)])
        self.total_cumsum = np.concatenate([[0.0], np.cumsum(magnitude.sum(axis=1))])
        # Index of the last period with a non-zero value at or before each period (-1: none yet).
        sold = np.where(self.values != 0, np.arange(n_time)[:, None], -1)
        self.last_sale = np.maximum.accumulate(sold, axis=0)
        self.launch = np.full(n_series, -np.inf)
        self.static = np.zeros((n_series, 0))
        self.static_names: list[str] = []
        if series_info is not None:
            info = series_info.reindex(y.columns)
            if "launch_date" in info:
                launch = pd.to_datetime(info["launch_date"])
                offset = np.array(
                    [self.periods_between(self.index[0], d) if pd.notna(d) else -np.inf
                     for d in launch]
                )  # fmt: skip
                self.launch = offset.astype("float64")
            static = info.drop(columns=["launch_date"], errors="ignore")
            self.static = static.to_numpy(dtype="float64")
            self.static_names = list(static.columns)
        self.sp = sp
        self.set_exogenous(X)

    def periods_between(self, start, date) -> int:
        """Whole periods from start to date (negative before it)."""
        if isinstance(self.index, pd.PeriodIndex):
            return (pd.Period(date, freq=self.index.freq) - start).n
        return int((pd.Timestamp(date) - start) / pd.Timedelta(self.index.freq))

    def set_exogenous(self, X: pd.DataFrame | None) -> None:
        """Split X into per-series columns ("name:series") and columns shared by all series."""
        self.global_names: list[str] = []
        self.series_names: list[str] = []
        self.x_global = pd.DataFrame(index=self.index)
        self.x_series: dict[str, pd.DataFrame] = {}
        if X is None:
            return
        shared = [c for c in X.columns if SERIES_COLUMN_SEPARATOR not in str(c)]
        self.global_names = shared
        self.x_global = X[shared].astype("float64")
        per_series = [c for c in X.columns if SERIES_COLUMN_SEPARATOR in str(c)]
        names = sorted({str(c).split(SERIES_COLUMN_SEPARATOR, 1)[0] for c in per_series})
        self.series_names = names
        for name in names:
            wanted = [f"{name}{SERIES_COLUMN_SEPARATOR}{s}" for s in self.columns]
            frame = X.reindex(columns=wanted).astype("float64").fillna(0.0)
            frame.columns = self.columns
            self.x_series[name] = frame

    def extend_exogenous(self, X: pd.DataFrame | None) -> None:
        """Add future exogenous rows (from predict) after the history's rows."""
        if X is None or not (self.global_names or self.series_names):
            return
        before_global, before_series = self.x_global, self.x_series
        self.set_exogenous(X)
        self.x_global = self._combine(before_global, self.x_global)
        self.x_series = {
            n: self._combine(before_series.get(n), self.x_series[n]) for n in self.x_series
        }

    @staticmethod
    def _combine(old, new):
        if old is None:
            return new
        merged = pd.concat([old, new])
        return merged[~merged.index.duplicated(keep="last")].sort_index()

    def dates(self, positions: np.ndarray):
        """Time stamps of integer positions (history, future, or before the first period)."""
        positions = np.asarray(positions, dtype=int)
        low = min(int(positions.min()), 0)
        count = int(positions.max()) - low + 1
        first = self.index[0] + low * (
            1 if isinstance(self.index, pd.PeriodIndex) else self.index.freq
        )
        if isinstance(self.index, pd.PeriodIndex):
            span = pd.period_range(first, periods=count, freq=self.index.freq)
        else:
            span = pd.date_range(first, periods=count, freq=self.index.freq)
        return span[positions - low]

    def exog_at(self, frame: pd.DataFrame, positions: np.ndarray, cols=None) -> np.ndarray:
        """Rows of an exogenous frame at positions, optionally only some columns (zeros where it
        has no row)."""
        if frame.shape[1] == 0:
            width = 0 if cols is None else len(cols)
            return np.zeros((len(positions), width))
        values = frame.reindex(self.dates(positions)).fillna(0.0).to_numpy(dtype="float64")
        return values if cols is None else values[:, cols]


@dataclasses.dataclass(frozen=True)
class FeatureConfig:
    """What the features look at (the global model's settings)."""

    sp: int = 7
    windows: tuple[int, ...] = (7, 28, 91)
    same_phase_seasons: int = 4
    year_periods: int | None = 364
    max_horizon: int = 28
    shrinkage_periods: float = 7.0
    last_year_offset: bool = True


@dataclasses.dataclass
class OriginRows:
    """Rows of all (step, series) pairs at one origin, step-major."""

    features: np.ndarray  # float32 (rows, features)
    scale: np.ndarray  # the series' shrunk recent level x last year's ratio: what the model scales
    alive: np.ndarray  # launched by the target period
    target: np.ndarray  # target positions
    series: np.ndarray  # series positions
    names: list[str]
    categorical: list[str]


def _calendar(tl: Timeline, config: FeatureConfig, positions: np.ndarray):
    """Calendar features of target periods derived from the index itself."""
    stamps = tl.dates(positions)
    if isinstance(stamps, pd.PeriodIndex):
        stamps = stamps.to_timestamp()
    stamps = pd.DatetimeIndex(stamps)
    if config.sp == 12:
        return stamps.month.to_numpy()[:, None].astype("float64"), ["month"], ["month"]
    if config.sp == 4:
        return stamps.quarter.to_numpy()[:, None].astype("float64"), ["quarter"], ["quarter"]
    if config.sp == 1:
        return np.zeros((len(stamps), 0)), [], []
    angle = 2 * np.pi * stamps.dayofyear.to_numpy() / 365.25
    features = np.column_stack([stamps.weekday.to_numpy(), np.sin(angle), np.cos(angle)])
    return features.astype("float64"), ["weekday", "doy_sin", "doy_cos"], ["weekday"]


def last_year_ratio(
    tl: Timeline, year_periods: int, origin: int, targets: np.ndarray, width: int
) -> np.ndarray:
    """All series together, a year before: (the week around each target day over the `width`
    periods before the origin, this year's `width` periods over last year's). The first carries
    the yearly cycle and last year's festivals, the second the shop's growth."""
    csum, year, half = tl.total_cumsum, year_periods, 3
    base_start, base_end = origin - year - width + 1, origin - year
    if base_start < 0:
        return np.full((len(targets), 2), np.nan)
    base = max((csum[base_end + 1] - csum[base_start]) / width, MIN_BASE)
    now = (csum[origin + 1] - csum[origin - width + 1]) / width
    lo = np.clip(targets - year - half, 0, origin + 1)
    hi = np.clip(targets - year + half, -1, origin)
    days = hi - lo + 1
    around = (csum[hi + 1] - csum[lo]) / np.maximum(days, 1)
    ratio = np.where(days > 0, around / base, np.nan)
    return np.column_stack([ratio, np.full(len(targets), now / base)])


def origin_rows(
    tl: Timeline, config: FeatureConfig, origin: int, steps: np.ndarray, series: np.ndarray
) -> OriginRows:
    """Feature matrix and scale for all (step, series) pairs at one origin (the last observed
    period)."""
    n_steps, n_series = len(steps), len(series)
    launch = tl.launch[series]
    first_alive = np.maximum(np.ceil(launch), 0).astype("float64")
    cols = np.arange(tl.values.shape[1])[series]

    def window_sum(width: int) -> tuple[np.ndarray, np.ndarray]:
        start = np.maximum(origin - width + 1, first_alive)
        days = np.maximum(origin - start + 1, 0)
        start_idx = np.clip(start, 0, origin + 1).astype(int)
        total = tl.cumsum[origin + 1, cols] - tl.cumsum[start_idx, cols]
        return np.where(days > 0, total, 0.0), days

    levels = {}
    for width in config.windows:
        total, days = window_sum(width)
        levels[width] = np.where(days > 0, total / np.maximum(days, 1), np.nan)
    base_width = config.windows[min(1, len(config.windows) - 1)]
    total, days = window_sum(base_width)
    prior = np.nanmean(levels[base_width]) if np.isfinite(levels[base_width]).any() else 0.0
    prior = prior if np.isfinite(prior) else 0.0
    shrink = config.shrinkage_periods
    base = np.maximum((total + shrink * prior) / (days + shrink), MIN_BASE)

    # Momentum: this window's level against the window before it (trend of the series).
    before = origin - base_width
    if before >= 0:
        prev_total = tl.cumsum[before + 1, cols] - tl.cumsum[max(before - base_width + 1, 0), cols]
        momentum = np.log((total + 1.0) / (prev_total + 1.0))
    else:
        momentum = np.full(n_series, np.nan)
    per_series = [np.log(base), momentum]
    names = ["log_base", "momentum"]
    for width in config.windows:
        per_series.append(np.log((levels[width] + MIN_BASE) / base))
        names.append(f"log_level_{width}")
    age = origin - launch
    per_series.append(np.where(np.isfinite(age), np.minimum(age, 1000), 1000))
    names.append("age_at_origin")
    last = tl.last_sale[origin, cols]
    per_series.append(np.where(last >= 0, origin - last, np.nan))
    names.append("periods_since_sale")
    for name, frame in tl.x_series.items():
        recent = tl.exog_at(frame, np.arange(origin - config.sp + 1, origin + 1), cols)
        per_series.append(recent.mean(axis=0))
        names.append(f"{name}_recent")
    for name in tl.global_names:
        recent = tl.exog_at(tl.x_global[[name]], np.arange(origin - config.sp + 1, origin + 1))
        per_series.append(np.repeat(recent.mean(), n_series))
        names.append(f"{name}_recent")
    for j, name in enumerate(tl.static_names):
        per_series.append(tl.static[series, j])
        names.append(name)
    per_series_block = np.column_stack(per_series)  # (series, k)

    targets = origin + steps
    calendar, cal_names, cal_categorical = _calendar(tl, config, targets)
    global_target = tl.exog_at(tl.x_global, targets)
    per_step = np.column_stack([np.minimum(steps, config.max_horizon), calendar, global_target])
    step_names = ["step", *cal_names, *tl.global_names]
    step_scale = np.ones(n_steps)
    if config.year_periods:
        yearly = last_year_ratio(tl, config.year_periods, origin, targets, base_width)
        per_step = np.column_stack([per_step, yearly])
        step_names += ["last_year_ratio", "year_growth"]
        if config.last_year_offset:
            ratio = np.maximum(yearly[:, 0], 0.05)
            step_scale = np.where(np.isfinite(ratio), ratio, 1.0)

    # Same phase of the season in the last seasons before the origin, relative to the base.
    phase = []
    for j in range(config.same_phase_seasons):
        back = config.sp * (np.ceil(steps / config.sp).astype(int) + j)
        pos = targets - back  # (steps,)
        valid = (pos[:, None] >= first_alive[None, :]) & (pos[:, None] >= 0)
        values = tl.values[np.clip(pos, 0, None)][:, cols]
        phase.append(np.where(valid, values, np.nan))
    phase_stack = np.stack(phase)
    counts = np.isfinite(phase_stack).sum(axis=0)
    same_phase = np.where(
        counts > 0, np.nansum(phase_stack, axis=0) / np.maximum(counts, 1), np.nan
    )
    pair = [same_phase / base[None, :]]
    pair_names = ["same_phase_ratio"]
    for name, frame in tl.x_series.items():
        pair.append(tl.exog_at(frame, targets, cols))
        pair_names.append(name)
    pair.append(targets[:, None] - launch[None, :])
    pair_names.append("age_at_target")

    rows = n_steps * n_series
    features = np.column_stack(
        [
            np.repeat(per_step, n_series, axis=0),
            np.tile(per_series_block, (n_steps, 1)),
            *[p.reshape(rows, 1) for p in pair],
        ]
    ).astype("float32")
    features[~np.isfinite(features)] = np.nan
    feature_names = [*step_names, *names, *pair_names]
    categorical = [*cal_categorical, "festival", "category_code", "rarity_code"]
    return OriginRows(
        features=features,
        scale=np.tile(base, n_steps) * np.repeat(step_scale, n_series),
        alive=(pair[-1] >= 0).reshape(rows),
        target=np.repeat(targets, n_series),
        series=np.tile(series, n_steps),
        names=feature_names,
        categorical=[n for n in categorical if n in feature_names],
    )
