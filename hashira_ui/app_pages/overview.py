"""Shop data: what the graph has published so far, at a glance."""

import streamlit as st

from hashira_serving import catalog, shop_data
from hashira_serving.errors import NotMaterializedError
from hashira_ui.session import require_role, show_missing

require_role("staff")
st.title("📊 Shop data")

try:
    sizes = shop_data.table_sizes()
    sales = shop_data.daily_sales()
    products = catalog.products()
except NotMaterializedError as exc:
    show_missing(exc)

st.caption(
    f"Published by silver and gold: {sales.index.min():%Y-%m-%d} to {sales.index.max():%Y-%m-%d}"
)
for col, (name, rows) in zip(st.columns(len(sizes)), sizes.items(), strict=True):
    col.metric(name.capitalize(), f"{rows:,}")

st.subheader("Daily sales")
metric = st.radio("Show", ["units", "revenue"], horizontal=True)
st.line_chart(sales[[metric]])

st.subheader("Catalog")
style = st.selectbox("Breathing style", ["All", *sorted(products["breathing_style"].unique())])
shown = products if style == "All" else products[products["breathing_style"] == style]
st.dataframe(
    shown[["name", "product_type", "breathing_style", "rarity", "price", "weight_kg", "stock"]],
    hide_index=True,
    width="stretch",
)
