"""Forecasts: daily sales of a product, a category or the whole shop, with 80/95% intervals."""

import streamlit as st

from hashira_serving import catalog, forecasts
from hashira_serving.context import mlflow
from hashira_serving.errors import NotMaterializedError
from hashira_serving.models import champion_info
from hashira_ui.forecast_view import backtest_table, chart_frame, forecast_chart
from hashira_ui.session import require_role, show_missing

require_role("staff")
st.title("📈 Sales forecasts")

try:
    forecasts.forecasts()
    products = catalog.products()
except NotMaterializedError as exc:
    show_missing(exc)

level = st.segmented_control(
    "Level", ["total", "category", "product"], default="total", key="forecast_level"
)
level = level or "total"
if level == "category":
    category = st.selectbox("Category", forecasts.series_ids("category"))
    series_id, title = category, category
elif level == "product":
    product_id = st.selectbox(
        "Product",
        forecasts.series_ids("product"),
        format_func=lambda p: (
            f"{products.loc[p, 'name']} (#{p})" if p in products.index else str(p)
        ),
    )
    series_id = str(product_id)
    title = products.loc[product_id, "name"] if product_id in products.index else series_id
else:
    series_id, title = None, "The whole shop"
published = forecasts.forecast_with_history(level, series_id)
frame = published["forecast"]

days = st.slider("Days ahead", 7, int(frame["horizon"].max()), int(frame["horizon"].max()))
frame = frame[frame["horizon"] <= days]
first = frame.iloc[0]

history = published["history"]
if history.empty:
    st.caption("No sales history to show: the gold sales tables are not materialized yet.")
st.altair_chart(chart_frame(history, frame).pipe(forecast_chart, title), width="stretch")

total_col, band_col, model_col = st.columns(3)
total_col.metric(f"Units over {days} days", f"{frame['units'].sum():,.0f}")
band_col.metric("Revenue forecast", f"{frame['revenue'].sum():,.0f}")
model_col.metric("Model", f"{first['model']} · v{first['model_version']}")
st.caption(f"Data to {first['cutoff']}; intervals are 80% (darker) and 95% (lighter).")

st.subheader("Backtest against seasonal naive")
info = champion_info(mlflow(), "hashira-forecaster")
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
    file_name=f"forecast_{level}_{series_id or 'total'}.csv".replace(" ", "_"),
    mime="text/csv",
)
