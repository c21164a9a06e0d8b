"""Shop data: what the graph has generated so far, at a glance."""

from pathlib import Path

import streamlit as st

from hashira_ui.session import require_role
from hashira_ui.world_data import NotMaterializedError, daily_sales, read_table, world_manifest
from resources import settings

require_role("staff")
st.title("📊 Shop data")


@st.cache_data(ttl=60)
def _manifest(raw_dir: str) -> dict:
    return world_manifest(Path(raw_dir))


@st.cache_data(ttl=60)
def _daily_sales(raw_dir: str):
    return daily_sales(Path(raw_dir))


@st.cache_data(ttl=60)
def _products(raw_dir: str):
    return read_table(Path(raw_dir), "products")


raw_dir = str(settings.raw_dir())
try:
    manifest = _manifest(raw_dir)
except NotMaterializedError as exc:
    st.info(str(exc))
    st.stop()

config = manifest["config"]
st.caption(
    f"Preset `{config['preset']}`, seed {config['seed']}, "
    f"{config['start_date']} to {config['end_date']}"
)
counts = manifest["row_counts"]
cols = st.columns(4)
for col, table in zip(
    cols, ["customers", "products", "interaction_events", "support_conversations"], strict=True
):
    col.metric(table.replace("_", " ").capitalize(), f"{counts[table]:,}")

st.subheader("Daily sales")
sales = _daily_sales(raw_dir)
metric = st.radio("Show", ["units", "revenue"], horizontal=True)
st.line_chart(sales[[metric]])

st.subheader("Catalog")
products = _products(raw_dir)
style = st.selectbox("Breathing style", ["All", *sorted(products["breathing_style"].unique())])
shown = products if style == "All" else products[products["breathing_style"] == style]
st.dataframe(
    shown[["name", "product_type", "breathing_style", "rarity", "price", "weight_kg", "stock"]],
    hide_index=True,
    width="stretch",
)
