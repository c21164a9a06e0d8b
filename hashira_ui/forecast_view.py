"""The Forecasts page's data: one series' history and forecast in a long frame, and its chart."""

from __future__ import annotations

import altair as alt
import pandas as pd

HISTORY_DAYS = 90
BAND_COLUMNS = {
    "95%": ("units_lower_95", "units_upper_95"),
    "80%": ("units_lower_80", "units_upper_80"),
}


def history_of(series, level: str, series_id: str, days: int = HISTORY_DAYS) -> pd.DataFrame:
    """The last `days` days of actual units of one series (columns date, units)."""
    units = series.units[level]
    if series_id not in units.columns:
        raise KeyError(f"no sales history for {level} {series_id!r}")
    recent = units[series_id].iloc[-days:]
    return pd.DataFrame({"date": recent.index, "units": recent.to_numpy(dtype=float)})


def chart_frame(history: pd.DataFrame, forecast: pd.DataFrame) -> pd.DataFrame:
    """History and forecast in one frame: date, units, kind, and the interval bounds."""
    past = history.assign(kind="history")
    future = forecast[["date", "units", *[c for pair in BAND_COLUMNS.values() for c in pair]]]
    future = future.assign(kind="forecast", date=pd.to_datetime(future["date"]))
    return pd.concat([past, future], ignore_index=True)


def forecast_chart(frame: pd.DataFrame, title: str) -> alt.Chart:
    """History as a line, the forecast as a dashed line over its 95% and 80% bands."""
    base = alt.Chart(frame).encode(x=alt.X("date:T", title=None))
    future = frame[frame["kind"] == "forecast"]
    bands = [
        alt.Chart(future)
        .mark_area(opacity=opacity, color="#2a6f97")
        .encode(
            x="date:T",
            y=alt.Y(f"{low}:Q", title="units per day"),
            y2=f"{high}:Q",
            tooltip=[
                alt.Tooltip("date:T"),
                alt.Tooltip(f"{low}:Q", format=".1f"),
                alt.Tooltip(f"{high}:Q", format=".1f"),
            ],
        )
        for (low, high), opacity in zip(BAND_COLUMNS.values(), (0.18, 0.32), strict=True)
    ]
    lines = base.mark_line().encode(
        y=alt.Y("units:Q", title="units per day"),
        color=alt.Color(
            "kind:N",
            scale=alt.Scale(domain=["history", "forecast"], range=["#444444", "#c1121f"]),
            legend=alt.Legend(title=None, orient="top"),
        ),
        strokeDash=alt.condition(
            alt.datum.kind == "forecast", alt.value([5, 3]), alt.value([1, 0])
        ),
        tooltip=[alt.Tooltip("date:T"), alt.Tooltip("units:Q", format=".1f"), "kind:N"],
    )
    return alt.layer(*bands, lines).properties(title=title, height=360).interactive()


def backtest_table(metrics: dict[str, float], level: str) -> pd.DataFrame:
    """The champion's backtest at one level: each model's MASE, bias and coverage, with its ratio
    to the seasonal-naive MASE, from the champion run's `level/model/metric` metrics."""
    rows: dict[str, dict[str, float]] = {}
    for name, value in metrics.items():
        parts = name.split("/")
        if len(parts) == 3 and parts[0] == level and parts[1] not in ("holdout", "last_fold"):
            rows.setdefault(parts[1], {})[parts[2]] = value
    table = pd.DataFrame.from_dict(rows, orient="index")
    if table.empty or "mase" not in table:
        return table
    naive = table["mase"].get("seasonal_naive")
    if naive:
        table["MASE / naive"] = table["mase"] / naive
    columns = ("mase", "MASE / naive", "bias", "coverage_80", "coverage_95")
    shown = [c for c in columns if c in table]
    return table[shown].sort_values("mase")
