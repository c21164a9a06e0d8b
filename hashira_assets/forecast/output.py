"""The published sales forecasts: their table, file, plot, coherence check and selection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hashira_assets.forecast.reconcile import LevelForecast
from hashira_assets.forecast.series import LEVELS, TOTAL_ID, SalesSeries, UnknownSeriesError
from hashira_assets.forecast.settings import MAX_FORECAST_DAYS
from resources import settings as hashira_settings

FORECAST_SCHEMA = pa.schema(
    [
        ("level", pa.string()),
        ("series_id", pa.string()),
        ("product_id", pa.int32()),
        ("category", pa.string()),
        ("date", pa.date32()),
        ("horizon", pa.int16()),
        ("units", pa.float64()),
        ("units_median", pa.float64()),
        ("units_lower_80", pa.float64()),
        ("units_upper_80", pa.float64()),
        ("units_lower_95", pa.float64()),
        ("units_upper_95", pa.float64()),
        ("revenue", pa.float64()),
        ("revenue_lower_80", pa.float64()),
        ("revenue_upper_80", pa.float64()),
        ("revenue_lower_95", pa.float64()),
        ("revenue_upper_95", pa.float64()),
        ("model", pa.string()),
        ("model_version", pa.string()),
        ("cutoff", pa.date32()),
    ]
)
QUANTILE_COLUMNS = {
    "units_median": 0.5,
    "units_lower_80": 0.1,
    "units_upper_80": 0.9,
    "units_lower_95": 0.025,
    "units_upper_95": 0.975,
}


def revenue_forecasts(
    series: SalesSeries, forecasts: dict[str, LevelForecast]
) -> dict[str, pd.DataFrame]:
    """Expected revenue per level: each product's units times its list price less the planned
    discount of the day, summed to categories and the total (so revenue adds up too)."""
    units = forecasts["product"].mean
    discount = series.discounts.reindex(index=units.index, columns=units.columns)
    price = series.products["price"].reindex(units.columns).to_numpy()
    product = units * price[None, :] * (1.0 - discount)
    category_of = series.product_category()
    category = product.T.groupby(category_of.reindex(product.columns).to_numpy()).sum().T
    category = category.reindex(columns=forecasts["category"].mean.columns).fillna(0.0)
    return {
        "product": product,
        "category": category,
        "total": product.sum(axis=1).to_frame(TOTAL_ID),
    }


def forecast_table(
    series: SalesSeries,
    forecasts: dict[str, LevelForecast],
    chosen: dict[str, str],
    model_version: str,
) -> pa.Table:
    """Long table of every series' daily forecast with 80% and 95% intervals (units, revenue)."""
    revenue = revenue_forecasts(series, forecasts)
    category_of = series.product_category()
    frames = []
    for level in LEVELS:
        mean = forecasts[level].mean
        n_days, n_series = mean.shape
        ids = np.tile(np.asarray(mean.columns, dtype=object), n_days)
        frame = pd.DataFrame(
            {
                "level": level,
                "series_id": ids,
                "date": np.repeat(mean.index.date, n_series),
                "horizon": np.repeat(np.arange(1, n_days + 1), n_series),
                "units": mean.to_numpy().ravel(),
            }
        )
        for column, alpha in QUANTILE_COLUMNS.items():
            frame[column] = forecasts[level].quantiles[alpha].to_numpy().ravel()
        level_revenue = revenue[level].reindex(columns=mean.columns).to_numpy().ravel()
        frame["revenue"] = level_revenue
        # Interval of revenue: the units interval at the series' expected price per unit.
        unit_price = np.divide(
            level_revenue,
            frame["units"].to_numpy(),
            out=np.zeros(len(frame)),
            where=frame["units"].to_numpy() > 0,
        )
        for bound in ("lower_80", "upper_80", "lower_95", "upper_95"):
            frame[f"revenue_{bound}"] = frame[f"units_{bound}"] * unit_price
        if level == "product":
            frame["product_id"] = frame["series_id"].astype(int)
            frame["category"] = category_of.reindex(frame["series_id"]).to_numpy()
        else:
            frame["product_id"] = pd.array([None] * len(frame), dtype="Int32")
            frame["category"] = frame["series_id"] if level == "category" else None
        frame["model"] = chosen[level]
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    table["model_version"] = model_version
    table["cutoff"] = series.end.date()
    return pa.Table.from_pandas(
        table[FORECAST_SCHEMA.names], schema=FORECAST_SCHEMA, preserve_index=False
    )


def forecasts_path() -> Path:
    """Where `sales_forecasts` is published for the UI and the CLI."""
    return hashira_settings.hashira_home() / "forecast" / "sales_forecasts.parquet"


def write_forecasts(table: pa.Table, path: Path) -> None:
    """Write atomically, so the UI never reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)


def forecast_plot(
    series: SalesSeries, forecasts: dict[str, LevelForecast], path: Path, history_days: int = 120
) -> Path:
    """PNG of the total, the busiest category and the busiest product: recent history, forecast
    and its 80% and 95% intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    picks = [
        ("total", TOTAL_ID),
        ("category", series.units["category"].iloc[-history_days:].sum().idxmax()),
        ("product", series.units["product"].iloc[-history_days:].sum().idxmax()),
    ]
    fig, axes = plt.subplots(len(picks), 1, figsize=(10, 9), sharex=True)
    for ax, (level, sid) in zip(axes, picks, strict=True):
        history = series.units[level][sid].iloc[-history_days:]
        forecast = forecasts[level]
        ax.plot(history.index, history.to_numpy(), color="black", linewidth=1, label="actual")
        ax.plot(forecast.mean.index, forecast.mean[sid], color="C0", label="forecast (mean)")
        for (lo, hi), alpha in (((0.025, 0.975), 0.15), ((0.1, 0.9), 0.3)):
            ax.fill_between(
                forecast.mean.index,
                forecast.quantiles[lo][sid],
                forecast.quantiles[hi][sid],
                color="C0",
                alpha=alpha,
                linewidth=0,
            )
        ax.set_title(f"{level}: {sid}")
        ax.set_ylabel("units per day")
    axes[0].legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def read_forecasts(path: Path) -> pd.DataFrame:
    """The published forecasts, or a clear error when they were never materialized."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; materialize the sales_forecasts asset")
    return pq.read_table(path).to_pandas()


def coherence_report(path: Path, tolerance: float = 1e-6) -> dict[str, Any]:
    """Whether published forecasts are non-negative, have ordered interval bounds, and add up
    (products to their category, categories to the total, per day); as check result fields."""
    if not path.exists():
        return {"passed": False, "metadata": {"reason": f"{path} does not exist"}}
    table = read_forecasts(path)
    values = [c for c in table.columns if c.startswith(("units", "revenue"))]
    negative = int((table[values] < 0).sum().sum())
    disordered = int(
        (
            (table["units_lower_95"] > table["units_lower_80"] + tolerance)
            | (table["units_lower_80"] > table["units_upper_80"] + tolerance)
            | (table["units_upper_80"] > table["units_upper_95"] + tolerance)
        ).sum()
    )
    by_level = {level: table[table["level"] == level] for level in LEVELS}
    product_sum = by_level["product"].groupby(["date", "category"])["units"].sum()
    category = by_level["category"].set_index(["date", "category"])["units"]
    category_gap = float((product_sum.reindex(category.index).fillna(0.0) - category).abs().max())
    category_sum = by_level["category"].groupby("date")["units"].sum()
    total = by_level["total"].set_index("date")["units"]
    total_gap = float((category_sum.reindex(total.index).fillna(0.0) - total).abs().max())
    scale = max(1.0, float(total.max()))
    passed = negative == 0 and disordered == 0 and max(category_gap, total_gap) <= tolerance * scale
    return {
        "passed": bool(passed),
        "metadata": {
            "rows": len(table),
            "negative_values": negative,
            "disordered_intervals": disordered,
            "max_category_gap": category_gap,
            "max_total_gap": total_gap,
        },
    }


def select_forecast(
    frame: pd.DataFrame,
    product: int | None = None,
    category: str | None = None,
    total: bool = False,
    days: int | None = None,
) -> pd.DataFrame:
    """One series' rows of the published forecasts, the first `days` days (all when None); clear
    errors for an unknown product or category and for more days than were forecast."""
    if days is not None and not 1 <= days <= MAX_FORECAST_DAYS:
        raise ValueError(f"days must be 1 to {MAX_FORECAST_DAYS}, got {days}")
    if product is not None:
        rows = frame[(frame["level"] == "product") & (frame["product_id"] == product)]
        if rows.empty:
            raise UnknownSeriesError(f"no product with id {product} in the forecasts")
    elif category is not None:
        categories = sorted(frame.loc[frame["level"] == "category", "series_id"].unique())
        match = [c for c in categories if c.lower() == category.strip().lower()]
        if not match:
            raise UnknownSeriesError(
                f"unknown category {category!r}; choose one of {', '.join(categories)}"
            )
        rows = frame[(frame["level"] == "category") & (frame["series_id"] == match[0])]
    elif total:
        rows = frame[frame["level"] == "total"]
    else:
        raise ValueError("choose a product, a category or the total")
    available = int(rows["horizon"].max())
    days = available if days is None else days
    if days > available:
        raise ValueError(
            f"the forecasts cover {available} days; materialize sales_forecasts with "
            f"horizon_days={days} for more"
        )
    return rows.sort_values("date").head(days).reset_index(drop=True)
