"""Support QA by agent: how each agent does, where they do worse than their peers, and the
conversations a reviewer should read.

All figures come from the materialized summaries (the summarizer's labels), not from the
generator's hidden truth: this is what a support manager would see on real chats.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from hashira_assets.assistant.support_labels import NEEDS_REVIEW, RESOLVED
from hashira_serving.errors import NotFoundError
from hashira_serving.summaries import summaries

SENTIMENT_SCORE = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
# Below this the summary's category is a guess: the conversation is flagged.
LOW_CONFIDENCE = 0.5
# An issue kind is a training need when the agent resolves this much less than their peers,
# on at least this many of their own conversations of that kind.
WEAKER_BY = 0.15
MIN_KIND_CONVERSATIONS = 3


def flag_reasons(row: pd.Series) -> list[str]:
    """Why one summarized conversation needs a reviewer (empty: it does not)."""
    reasons = []
    if row["resolution"] != RESOLVED:
        reasons.append(str(row["resolution"]))
    if row["sentiment"] == "negative":
        reasons.append("negative")
    confidence = row.get("category_confidence")
    if row["issue_category"] == NEEDS_REVIEW or (
        confidence is not None and pd.notna(confidence) and confidence < LOW_CONFIDENCE
    ):
        reasons.append("low summary confidence")
    faithful = row.get("faithful")
    if faithful is not None and pd.notna(faithful) and not bool(faithful):
        reasons.append("summary fell back to extractive")
    return reasons


def with_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """The summaries with a `flags` column (comma-separated reasons, "" when none)."""
    flags = frame.apply(lambda row: ", ".join(flag_reasons(row)), axis=1) if len(frame) else []
    return frame.assign(flags=flags)


def agent_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per agent: conversations, resolution rate, sentiment, handle length, flags."""
    frame = with_flags(frame[frame["agent_id"].notna()])
    if frame.empty:
        return pd.DataFrame(
            columns=["agent_id", "conversations", "resolution_rate", "negative_share",
                     "sentiment_score", "mean_turns", "flagged"]
        )  # fmt: skip
    grouped = frame.assign(
        is_resolved=frame["resolution"].eq(RESOLVED),
        is_negative=frame["sentiment"].eq("negative"),
        score=frame["sentiment"].map(SENTIMENT_SCORE).fillna(0.0),
        is_flagged=frame["flags"].ne(""),
    ).groupby("agent_id")
    table = pd.DataFrame(
        {
            "conversations": grouped.size(),
            "resolution_rate": grouped["is_resolved"].mean(),
            "negative_share": grouped["is_negative"].mean(),
            "sentiment_score": grouped["score"].mean(),
            "mean_turns": grouped["turns"].mean(),
            "flagged": grouped["is_flagged"].sum(),
        }
    )
    return table.reset_index().sort_values("resolution_rate").reset_index(drop=True)


def weaker_kinds(frame: pd.DataFrame) -> pd.DataFrame:
    """(agent, issue kind) pairs where the agent resolves at least `WEAKER_BY` less often than
    the other agents do on that kind: their training needs."""
    frame = frame[frame["agent_id"].notna() & frame["issue_category"].ne(NEEDS_REVIEW)]
    columns = ["agent_id", "issue_category", "conversations", "resolution_rate", "peers_rate"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    resolved = frame["resolution"].eq(RESOLVED)
    cell = (
        frame.assign(resolved=resolved)
        .groupby(["agent_id", "issue_category"])["resolved"]
        .agg(["size", "sum"])
    )
    kind_totals = cell.groupby(level="issue_category")[["size", "sum"]].sum()
    rows = []
    for (agent, kind), values in cell.iterrows():
        if values["size"] < MIN_KIND_CONVERSATIONS:
            continue
        peers_size = kind_totals.loc[kind, "size"] - values["size"]
        if peers_size < MIN_KIND_CONVERSATIONS:
            continue
        peers_rate = (kind_totals.loc[kind, "sum"] - values["sum"]) / peers_size
        rate = values["sum"] / values["size"]
        if peers_rate - rate >= WEAKER_BY:
            rows.append((agent, kind, int(values["size"]), rate, peers_rate))
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["agent_id", "resolution_rate"]).reset_index(drop=True)


def flagged_conversations(frame: pd.DataFrame, agent_id: str | None = None) -> pd.DataFrame:
    """The conversations to review (newest first), with why; one agent's when given."""
    frame = with_flags(frame)
    if agent_id is not None:
        frame = frame[frame["agent_id"] == agent_id]
    return frame[frame["flags"].ne("")].sort_values("started_at", ascending=False)


@dataclasses.dataclass(frozen=True)
class AgentReview:
    agents: pd.DataFrame
    weaker: pd.DataFrame
    flagged: pd.DataFrame


def agent_review(agent_id: str | None = None) -> AgentReview:
    """The per-agent view over the materialized summaries (NotMaterializedError without;
    NotFoundError for an agent with no conversation)."""
    frame = summaries()
    if "agent_id" not in frame.columns:
        frame = frame.assign(agent_id=None)
    if agent_id is not None and not frame["agent_id"].eq(agent_id).any():
        raise NotFoundError(f"no conversations by agent {agent_id!r}")
    return AgentReview(
        agent_table(frame), weaker_kinds(frame), flagged_conversations(frame, agent_id)
    )
