"""Sales forecasts as `sales_forecasts` published them, with the gold tables' recent history."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from hashira_assets.forecast.output import forecasts_path, read_forecasts, select_forecast
from hashira_assets.forecast.series import GOLD_TABLES, UnknownSeriesError
from hashira_serving.cache import DATA_TTL, cache, home_key
from hashira_serving.context import published_table
from hashira_serving.errors import NotFoundError, NotMaterializedError, missing

LEVELS = ("total", "category", "product")
HISTORY_DAYS = 120
BAND_COLUMNS = ["units_lower_80", "units_upper_80", "units_lower_95", "units_upper_95"]

_frames = cache(ttl=DATA_TTL, max_entries=4)


def forecasts() -> pd.DataFrame:
    """Every published forecast row (cached; do not mutate)."""

    def load() -> pd.DataFrame:
        path = forecasts_path()
        if not path.exists():
            raise missing("sales_forecasts", "Sales forecasts")
        return read_forecasts(path)

    return _frames.get(("forecasts", home_key()), load)


def series_forecast(level: str, series_id: str | None = None, days: int | None = None):
    """One series' forecast rows: the total, a category (by name) or a product (by id)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    frame = forecasts()
    try:
        if level == "total":
            return select_forecast(frame, total=True, days=days)
        if not series_id:
            raise ValueError(f"a {level} forecast needs an id")
        if level == "category":
            return select_forecast(frame, category=series_id, days=days)
        try:
            product_id = int(series_id)
        except ValueError as exc:
            raise ValueError(f"a product id is a whole number, not {series_id!r}") from exc
        return select_forecast(frame, product=product_id, days=days)
    except UnknownSeriesError as exc:
        raise NotFoundError(str(exc)) from exc


def series_ids(level: str) -> list:
    """The categories (names) or products (ids) that have a forecast."""
    frame = forecasts()
    rows = frame[frame["level"] == level]
    if level == "product":
        return sorted(int(p) for p in rows["product_id"].unique())
    return sorted(rows["series_id"].unique())


def history(level: str, series_id: str | None = None, days: int = HISTORY_DAYS) -> pd.DataFrame:
    """The last `days` days of actual units of one series from gold (date, units; zeros filled)."""
    table, key = GOLD_TABLES[level]
    columns = ["event_date", "units"] + ([key] if key else [])
    rows = published_table("gold", table, table, columns).to_pandas()
    if key:
        wanted = int(series_id) if key == "product_id" else series_id
        rows = rows[rows[key] == wanted]
    daily = rows.groupby("event_date")["units"].sum()
    if daily.empty:
        return pd.DataFrame({"date": pd.to_datetime([]), "units": []})
    daily.index = pd.to_datetime(daily.index)
    end = _last_sales_day(table)
    index = pd.date_range(end - dt.timedelta(days=days - 1), end, freq="D")
    daily = daily.reindex(index, fill_value=0.0)
    return pd.DataFrame({"date": daily.index, "units": daily.to_numpy(dtype=float)})


def _last_sales_day(table: str) -> pd.Timestamp:
    total = published_table("gold", "daily_total_sales", "daily_total_sales", ["event_date"])
    return pd.Timestamp(max(total.column("event_date").to_pylist()))


def forecast_with_history(level: str, series_id: str | None, days: int | None = None) -> dict:
    """The forecast rows, the history rows and the model that made them."""
    rows = series_forecast(level, series_id, days)
    try:
        past = history(level, series_id)
    except NotMaterializedError:
        past = pd.DataFrame({"date": pd.to_datetime([]), "units": []})
    first = rows.iloc[0]
    return {
        "forecast": rows,
        "history": past,
        "model": str(first["model"]),
        "model_version": str(first["model_version"]),
        "cutoff": str(first["cutoff"]),
    }
