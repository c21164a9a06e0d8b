"""Models & pipeline: champion models with baselines and oracle, asset freshness, failed runs."""

import os

import streamlit as st

from hashira_serving import build_status, models
from hashira_serving.context import mlflow
from hashira_serving.models import (
    MODELS,
    battle_fit_comparison,
    champion_info,
    forecaster_comparison,
    portrait_comparison,
    recommender_comparison,
    summarizer_comparison,
)
from hashira_ui.session import dagster_url, require_role

require_role("staff")
st.title("🧪 Models & pipeline")

mlflow_url = os.environ.get("HASHIRA_MLFLOW_URL", "http://127.0.0.1:5000")
links = st.columns(2)
links[0].link_button("Open the Dagster UI", dagster_url(), icon="🛠️")
links[1].link_button("Open the MLflow UI", mlflow_url, icon="📒")


@st.fragment(run_every=10)
def build_in_progress() -> None:
    """The run building the graph now, if any, with its progress."""
    build = build_status.building_now()
    if build is None:
        return
    st.progress(
        len(build.steps_done) / max(build.steps_total, 1),
        text=f"🔨 Being built now, run `{build.job_name}`: {build.summary()}",
    )
    st.link_button("Watch the run", f"{dagster_url()}/runs/{build.run_id}")


build_in_progress()

st.subheader("Champion models")
comparisons = {
    "hashira-recommender": (recommender_comparison, "MAP@12 etc. on the last 7 days"),
    "hashira-forecaster": (forecaster_comparison, "backtest MASE and interval coverage"),
    "hashira-summarizer": (
        summarizer_comparison,
        "ROUGE, category accuracy and faithfulness on the held-out sets",
    ),
    "hashira-battle-fit": (battle_fit_comparison, "AUC and calibration on the last weeks' battles"),
    "hashira-slayer-portraits": (portrait_comparison, "share the judge recognizes as requested"),
}
for name, title in MODELS.items():
    info = champion_info(mlflow(), name)
    with st.container(border=True):
        if info.version is None:
            st.markdown(f"**{title}** — no champion yet: materialize its model asset.")
            continue
        st.markdown(
            f"**{title}** — `{name}` champion **v{info.version}** of {info.versions}, "
            f"registered {info.registered_at:%Y-%m-%d %H:%M} UTC"
        )
        compare, caption = comparisons[name]
        table = compare(info.metrics)
        if not table.empty:
            st.dataframe(table, width="stretch")
        st.caption(f"{caption}; run `{info.run_id}`")

st.subheader("Asset groups")
try:
    freshness = models.pipeline_freshness()
    if freshness is None:
        st.info("DAGSTER_HOME is not set, so there is no Dagster instance to read.")
    else:
        st.dataframe(
            freshness.rename(columns={"last": "last materialized (UTC)"}),
            width="stretch",
        )
except Exception as exc:  # an unreachable instance must not take the whole page down
    st.warning(f"Could not read the Dagster instance: {type(exc).__name__}: {exc}")

st.subheader("Failed runs")
failures = models.pipeline_failures(limit=20)
if failures.empty:
    st.success("No failed runs recorded.")
else:
    st.dataframe(failures, hide_index=True, width="stretch")
