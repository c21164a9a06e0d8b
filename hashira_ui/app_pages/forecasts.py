"""Forecasts: daily sales of a product, a category or the whole shop, with 80/95% intervals."""

import streamlit as st

from hashira_assets.forecast.training import select_forecast
from hashira_ui import services
from hashira_ui.forecast_view import backtest_table, chart_frame, forecast_chart, history_of
from hashira_ui.model_registry import champion_info
from hashira_ui.session import require_role, show_missing
from hashira_ui.world_data import NotMaterializedError

require_role("staff")
st.title("📈 Sales forecasts")

try:
    forecasts = services.forecasts()
    catalog = services.products()
except NotMaterializedError as exc:
    show_missing(exc)

level = st.segmented_control(
    "Level", ["total", "category", "product"], default="total", key="forecast_level"
)
level = level or "total"
if level == "category":
    categories = sorted(forecasts.loc[forecasts["level"] == "category", "series_id"].unique())
    category = st.selectbox("Category", categories)
    frame, series_id, title = select_forecast(forecasts, category=category), category, category
elif level == "product":
    ids = sorted(forecasts.loc[forecasts["level"] == "product", "product_id"].unique())
    product_id = st.selectbox(
        "Product",
        ids,
        format_func=lambda p: f"{catalog.loc[p, 'name']} (#{p})" if p in catalog.index else str(p),
    )
    frame = select_forecast(forecasts, product=int(product_id))
    series_id, title = str(product_id), catalog.loc[product_id, "name"]
else:
    frame, series_id, title = select_forecast(forecasts, total=True), "total", "The whole shop"

days = st.slider("Days ahead", 7, int(frame["horizon"].max()), int(frame["horizon"].max()))
frame = frame[frame["horizon"] <= days]
first = frame.iloc[0]

try:
    history = history_of(services.sales_series(), level, series_id)
except (NotMaterializedError, KeyError) as exc:
    st.caption(f"No sales history to show: {exc}")
    history = frame.iloc[0:0][["date", "units"]]
st.altair_chart(chart_frame(history, frame).pipe(forecast_chart, title), width="stretch")

total_col, band_col, model_col = st.columns(3)
total_col.metric(f"Units over {days} days", f"{frame['units'].sum():,.0f}")
band_col.metric("Revenue forecast", f"{frame['revenue'].sum():,.0f}")
model_col.metric("Model", f"{first['model']} · v{first['model_version']}")
st.caption(f"Data to {first['cutoff']}; intervals are 80% (darker) and 95% (lighter).")

st.subheader("Backtest against seasonal naive")
info = champion_info(services.mlflow(), "hashira-forecaster")
table = backtest_table(info.metrics, level)
if table.empty:
    st.caption("No backtest metrics recorded for the champion forecaster.")
else:
    st.dataframe(table, width="stretch")
    st.caption(
        "MASE over the backtest folds (lower is better); `reconciled` is what the shop publishes. "
        "MASE / naive below 1 beats the seasonal-naive forecast."
    )

st.download_button(
    "Download this forecast (CSV)",
    frame.to_csv(index=False).encode(),
    file_name=f"forecast_{level}_{series_id}.csv".replace(" ", "_"),
    mime="text/csv",
)
