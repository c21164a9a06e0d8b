"""Support QA: every conversation's summary beside its transcript, agents' quality review, and
ad-hoc summaries."""

import streamlit as st

from hashira_serving import summaries as support
from hashira_serving import support_quality
from hashira_serving.context import app_db
from hashira_serving.errors import NotMaterializedError
from hashira_ui.session import require_role, show_missing
from hashira_ui.support import parse_transcript

SENTIMENT_COLORS = {"negative": "#c1121f", "neutral": "#adb5bd", "positive": "#2a9d8f"}

require_role("staff")
st.title("🎧 Support QA")

tab_summaries, tab_agents, tab_paste = st.tabs(
    ["Conversation summaries", "By agent", "Summarize a conversation"]
)


def confidence_text(value) -> str:
    return "" if value is None or value != value else f" ({value:.0%} sure)"


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
            cols[0].caption(confidence_text(result.category_confidence).strip(" ()"))
            cols[1].caption(confidence_text(result.resolution_confidence).strip(" ()"))
            cols[2].caption(confidence_text(result.sentiment_confidence).strip(" ()"))
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
                f"- Issue: **{row['issue_category']}**"
                f"{confidence_text(row.get('category_confidence'))}\n"
                f"- Resolution: **{row['resolution']}**\n"
                f"- Sentiment: **{row['sentiment']}**\n- Agent: {row.get('agent_id') or '—'}\n"
                f"- Model: {row['model_version']}"
            )
            if row.get("note"):
                st.caption(f"ℹ️ {row['note']}")

with tab_agents:
    review = support_quality.agent_review()
    agents = review.agents
    if agents.empty:
        st.info("No conversation has an agent yet.")
    else:
        st.caption(
            "From the summaries' labels: resolution rate, sentiment (−1 negative … +1 positive) "
            "and handle length (turns) per agent, lowest resolution rate first."
        )
        st.bar_chart(
            agents.set_index("agent_id")["resolution_rate"], x_label="agent",
            y_label="resolution rate", horizontal=False,
        )  # fmt: skip
        st.dataframe(
            agents,
            hide_index=True,
            width="stretch",
            column_config={
                "resolution_rate": st.column_config.ProgressColumn(
                    "resolution rate", min_value=0.0, max_value=1.0, format="percent"
                ),
                "negative_share": st.column_config.NumberColumn("negative", format="percent"),
                "sentiment_score": st.column_config.NumberColumn("sentiment", format="%.2f"),
                "mean_turns": st.column_config.NumberColumn("turns", format="%.1f"),
            },
            key="agent_table",
        )
        st.markdown("**Training needs:** issue kinds where an agent resolves clearly less often "
                    "than their peers")  # fmt: skip
        if review.weaker.empty:
            st.caption("None: no agent is clearly behind their peers on an issue kind.")
        else:
            st.dataframe(review.weaker, hide_index=True, width="stretch", key="weaker_kinds")
    flagged = review.flagged
    st.markdown(f"**Flagged for review:** {len(flagged):,} conversations (unresolved, negative, "
                "low summary confidence or a summary that failed its fact check)")  # fmt: skip
    picked_agent = st.selectbox(
        "Agent", ["all agents", *agents["agent_id"].tolist()], key="flag_agent"
    )
    if picked_agent != "all agents":
        flagged = flagged[flagged["agent_id"] == picked_agent]
    st.dataframe(
        flagged[["conversation_id", "agent_id", "started_at", "issue_category", "flags",
                 "summary"]].head(200),
        hide_index=True,
        width="stretch",
        key="flagged_table",
    )  # fmt: skip
