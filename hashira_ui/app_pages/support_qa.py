"""Support QA: every conversation's summary beside its transcript, and ad-hoc summaries."""

import streamlit as st

from hashira_serving import summaries as support
from hashira_serving.context import app_db
from hashira_serving.errors import NotMaterializedError
from hashira_ui.session import require_role, show_missing
from hashira_ui.support import parse_transcript

SENTIMENT_COLORS = {"negative": "#c1121f", "neutral": "#adb5bd", "positive": "#2a9d8f"}

require_role("staff")
st.title("🎧 Support QA")

tab_summaries, tab_paste = st.tabs(["Conversation summaries", "Summarize a conversation"])

with tab_paste:
    pasted = st.text_area(
        "Paste a support conversation (one turn per line, e.g. `Customer: …` / `Agent: …`)",
        height=220,
        key="pasted_conversation",
    )
    if st.button("Summarize", type="primary", key="summarize_pasted"):
        try:
            result = support.summarize(pasted)
        except ValueError as exc:
            st.warning(str(exc))
        else:
            for notice in result.notices:
                st.caption(f"ℹ️ {notice}")
            st.markdown(f"**Summary.** {result.summary}")
            cols = st.columns(3)
            cols[0].metric("Issue", result.issue_category)
            cols[1].metric("Resolution", result.resolution)
            cols[2].metric("Sentiment", result.sentiment)
            st.caption(f"Summarized by {result.model_version}.")

    with st.expander("Save it as a support conversation"):
        st.caption(
            "Saved conversations are landed in the raw world and summarized by the "
            "`new_support_conversations` sensor, then listed under *Conversation summaries*."
        )
        customer_id = st.number_input("Customer id", min_value=0, step=1, key="save_customer")
        if st.button("Save conversation", key="save_pasted"):
            try:
                turns = parse_transcript(pasted)
                saved = app_db().add_support_conversation(int(customer_id), turns)
            except ValueError as exc:
                st.error(str(exc))
            else:
                st.success(f"Saved as conversation #{saved} with {len(turns)} turns.")

with tab_summaries:
    try:
        summaries = support.summaries()
    except NotMaterializedError as exc:
        show_missing(exc)
    left, right = st.columns(2)
    categories = left.multiselect("Issue category", sorted(summaries["issue_category"].unique()))
    sentiments = right.multiselect("Sentiment", sorted(summaries["sentiment"].unique()))
    shown = summaries
    if categories:
        shown = shown[shown["issue_category"].isin(categories)]
    if sentiments:
        shown = shown[shown["sentiment"].isin(sentiments)]
    shown = shown.sort_values("started_at", ascending=False).reset_index(drop=True)

    counts = summaries.groupby(["issue_category", "sentiment"]).size().rename("conversations")
    by_sentiment = counts.unstack("sentiment", fill_value=0)
    st.bar_chart(
        by_sentiment,
        color=[SENTIMENT_COLORS.get(name, "#6c757d") for name in by_sentiment.columns],
        x_label="issue category",
        y_label="conversations",
    )

    st.caption(f"{len(shown):,} of {len(summaries):,} conversations; pick one to read it.")
    picked = st.dataframe(
        shown[
            [
                "conversation_id",
                "started_at",
                "issue_category",
                "resolution",
                "sentiment",
                "summary",
            ]
        ],
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="summary_table",
    )
    rows = picked.selection.rows if picked is not None else []
    if rows:
        row = shown.iloc[rows[0]]
        transcript_col, summary_col = st.columns(2)
        with transcript_col:
            st.markdown(f"**Conversation #{row['conversation_id']}**")
            st.text(row["transcript"] if isinstance(row["transcript"], str) else "(no transcript)")
        with summary_col:
            st.markdown("**Summary**")
            st.write(row["summary"])
            st.markdown(
                f"- Issue: **{row['issue_category']}**\n- Resolution: **{row['resolution']}**\n"
                f"- Sentiment: **{row['sentiment']}**\n- Model: {row['model_version']}"
            )
