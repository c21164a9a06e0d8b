"""Support QA by agent on a hand-made summaries table with known figures."""

import pandas as pd
import pytest

from hashira_serving.support_quality import (
    NEEDS_REVIEW,
    agent_table,
    flag_reasons,
    flagged_conversations,
    weaker_kinds,
)


def _row(i, agent, category, resolution="resolved", sentiment="positive", turns=6, **extra):
    return {
        "conversation_id": i,
        "agent_id": agent,
        "started_at": pd.Timestamp("2026-01-01") + pd.Timedelta(days=i),
        "issue_category": category,
        "resolution": resolution,
        "sentiment": sentiment,
        "turns": turns,
        "category_confidence": extra.get("confidence", 0.9),
        "faithful": extra.get("faithful", True),
        "summary": f"summary {i}",
    }


@pytest.fixture
def frame():
    rows = []
    # agent-01 resolves every billing chat; agent-02 one billing chat in four.
    for i in range(4):
        rows.append(_row(i, "agent-01", "billing", turns=4))
    for i in range(4, 8):
        resolved = "resolved" if i == 4 else "escalated"
        rows.append(_row(i, "agent-02", "billing", resolved, "negative", turns=10))
    rows.append(_row(8, "agent-01", "defect", confidence=0.3))
    rows.append(_row(9, "agent-02", NEEDS_REVIEW, faithful=False))
    rows.append(_row(10, None, "care"))  # an app conversation: no agent
    return pd.DataFrame(rows)


def test_agent_figures(frame):
    table = agent_table(frame).set_index("agent_id")
    assert table.loc["agent-01", "conversations"] == 5
    assert table.loc["agent-01", "resolution_rate"] == 1.0
    assert table.loc["agent-02", "resolution_rate"] == pytest.approx(2 / 5)
    assert table.loc["agent-02", "negative_share"] == pytest.approx(4 / 5)
    assert table.loc["agent-02", "mean_turns"] == pytest.approx((4 * 10 + 6) / 5)
    assert table.loc["agent-01", "flagged"] == 1  # the low-confidence defect chat
    assert table.loc["agent-02", "flagged"] == 5
    assert list(agent_table(frame)["agent_id"]) == ["agent-02", "agent-01"]  # worst first


def test_weaker_kinds_are_against_peers(frame):
    weaker = weaker_kinds(frame)
    assert weaker[["agent_id", "issue_category"]].values.tolist() == [["agent-02", "billing"]]
    assert weaker.iloc[0]["resolution_rate"] == 0.25 and weaker.iloc[0]["peers_rate"] == 1.0


def test_flags_say_why(frame):
    by_id = frame.set_index("conversation_id")
    assert flag_reasons(by_id.loc[5]) == ["escalated", "negative"]
    assert flag_reasons(by_id.loc[8]) == ["low summary confidence"]
    assert flag_reasons(by_id.loc[9]) == [
        "low summary confidence",
        "summary fell back to extractive",
    ]
    assert flag_reasons(by_id.loc[0]) == []
    flagged = flagged_conversations(frame, "agent-02")
    assert set(flagged["conversation_id"]) == {4, 5, 6, 7, 9}  # 4: resolved, but negative
    assert flagged["started_at"].is_monotonic_decreasing
