"""Ask the data: staff questions in plain words (or `sql SELECT ...`) answered from the lake."""

import altair as alt
import pandas as pd
import streamlit as st

from hashira_serving import analytics
from hashira_ui.session import require_role, show_missing

HISTORY_KEY = "ask_data_history"
HISTORY_SIZE = 10

require_role("staff")
st.title("🔎 Ask the data")
st.caption(
    "Ask about revenue, orders, units, returns, active users, conversion… by day, week, category, "
    "style, rarity or segment. Type `sql SELECT …` to run one read-only query."
)


def chart(answer: analytics.AnalyticsAnswer, frame: pd.DataFrame):
    """An Altair chart for a series or a ranking, or None."""
    hint = answer.chart
    if hint is None or frame.empty or hint.x not in frame or hint.y not in frame:
        return None
    base = alt.Chart(frame)
    mark = base.mark_line(point=True) if hint.kind == "line" else base.mark_bar()
    x_type = "T" if hint.kind == "line" and hint.x in ("day", "week") else "N"
    sort = None if hint.kind == "line" else "-y"
    encoding = {
        "x": alt.X(f"{hint.x}:{x_type}", sort=sort, title=hint.x.replace("_", " ")),
        "y": alt.Y(f"{hint.y}:Q", title=hint.y.replace("_", " ")),
        "tooltip": list(frame.columns),
    }
    if hint.color and hint.color in frame:
        encoding["color"] = alt.Color(f"{hint.color}:N")
    return mark.encode(**encoding)


def show(answer: analytics.AnalyticsAnswer, index: int) -> None:
    st.markdown(f"**{answer.question[:300]}**")
    if answer.refusal:
        st.warning(answer.refusal)
        return
    if answer.narrative:
        st.success(answer.narrative)
    window = f" · window: {answer.window}" if answer.window else ""
    st.caption(f"{answer.mode} · {answer.latency_s * 1000:.0f} ms{window}")
    with st.expander("SQL"):
        st.code(answer.sql or "", language="sql")
        if answer.params:
            st.caption("Parameters: " + ", ".join(str(p) for p in answer.params))
    frame = answer.to_frame()
    drawn = chart(answer, frame)
    if drawn is not None:
        st.altair_chart(drawn, width="stretch")
    st.dataframe(frame, hide_index=True)
    if answer.truncated:
        st.caption("The result was cut at the row cap.")
    st.download_button(
        "Download CSV",
        frame.to_csv(index=False).encode(),
        file_name="answer.csv",
        mime="text/csv",
        key=f"ask_data_csv_{index}",
    )


with st.form("ask_data_form", clear_on_submit=False):
    question = st.text_input("Question", key="ask_data_question", max_chars=4000)
    asked = st.form_submit_button("Ask")

history = st.session_state.setdefault(HISTORY_KEY, [])
if asked and question.strip():
    try:
        answer = analytics.ask(question)
    except analytics.AnalyticsUnavailable as exc:
        show_missing(exc)
    history.insert(0, answer)
    del history[HISTORY_SIZE:]
elif asked:
    st.warning("Type a question first.")

for i, answer in enumerate(history):
    if i == 1:
        st.subheader("Earlier questions")
    if i == 0:
        show(answer, i)
    else:
        with st.expander(answer.question[:120]):
            show(answer, i)

with st.sidebar.expander("What can I ask?"):
    terms = analytics.glossary()
    st.markdown("**Measures**\n" + "\n".join(f"- {m}: {d}" for m, d in terms["metrics"]))
    st.markdown("**Groupings**\n" + "\n".join(f"- {d}: {w}" for d, w in terms["dimensions"]))
