"""Support-conversation summaries (staff)."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query

from hashira_api import schemas
from hashira_api.deps import StaffUser
from hashira_serving import summaries, support_quality

router = APIRouter(tags=["support"])


@router.post(
    "/summarize/conversation",
    response_model=schemas.Summary,
    responses={403: {"model": schemas.Problem}},
)
def summarize(body: schemas.Transcript, _staff: StaffUser) -> schemas.Summary:
    """Summarize one conversation with the champion summarizer."""
    result = summaries.summarize(body.transcript)
    return schemas.Summary(
        summary=result.summary,
        issue_category=result.issue_category,
        resolution=result.resolution,
        sentiment=result.sentiment,
        model_version=result.model_version,
        notices=list(result.notices),
        category_confidence=result.category_confidence,
        resolution_confidence=result.resolution_confidence,
        sentiment_confidence=result.sentiment_confidence,
        faithful=result.faithful,
    )


@router.get(
    "/summaries", response_model=schemas.SummaryPage, responses={403: {"model": schemas.Problem}}
)
def list_summaries(
    _staff: StaffUser,
    issue_category: Annotated[str | None, Query(max_length=40)] = None,
    sentiment: Annotated[str | None, Query(max_length=20)] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> schemas.SummaryPage:
    """Materialized summaries, newest first, filtered by issue category and sentiment."""
    frame = summaries.summaries()
    if issue_category:
        frame = frame[frame["issue_category"] == issue_category]
    if sentiment:
        frame = frame[frame["sentiment"] == sentiment]
    frame = frame.sort_values("started_at", ascending=False)
    page = frame.iloc[offset : offset + limit]
    items = [
        schemas.StoredSummary(
            conversation_id=int(row["conversation_id"]),
            started_at=None if row["started_at"] is None else str(row["started_at"]),
            agent_id=_optional(row.get("agent_id")),
            issue_category=str(row["issue_category"]),
            resolution=str(row["resolution"]),
            sentiment=str(row["sentiment"]),
            summary=str(row["summary"]),
            model_version=str(row["model_version"]),
            category_confidence=_number(row.get("category_confidence")),
            faithful=None if _optional(row.get("faithful")) is None else bool(row["faithful"]),
        )
        for row in page.to_dict(orient="records")
    ]
    return schemas.SummaryPage(total=len(frame), offset=offset, limit=limit, items=items)


def _optional(value):
    """None for missing values (None or NaN), else the value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _number(value) -> float | None:
    value = _optional(value)
    return None if value is None else float(value)


@router.get(
    "/support/agents",
    response_model=schemas.AgentReview,
    responses={403: {"model": schemas.Problem}, 404: {"model": schemas.Problem}},
)
def agent_review(
    _staff: StaffUser,
    agent_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> schemas.AgentReview:
    """Support QA by agent: each agent's figures and weaker issue kinds, and the conversations
    flagged for review (unresolved, negative, low confidence), one agent's when given."""
    review = support_quality.agent_review(agent_id)
    weaker = review.weaker.groupby("agent_id")["issue_category"].apply(list).to_dict()
    agents = [
        schemas.AgentQuality(
            agent_id=str(row["agent_id"]),
            conversations=int(row["conversations"]),
            resolution_rate=float(row["resolution_rate"]),
            negative_share=float(row["negative_share"]),
            sentiment_score=float(row["sentiment_score"]),
            mean_turns=float(row["mean_turns"]),
            flagged=int(row["flagged"]),
            weaker_kinds=weaker.get(row["agent_id"], []),
        )
        for row in review.agents.to_dict(orient="records")
        if agent_id is None or row["agent_id"] == agent_id
    ]
    flagged = [
        schemas.FlaggedConversation(
            conversation_id=int(row["conversation_id"]),
            agent_id=_optional(row.get("agent_id")),
            started_at=None if row["started_at"] is None else str(row["started_at"]),
            issue_category=str(row["issue_category"]),
            summary=str(row["summary"]),
            flags=row["flags"].split(", "),
        )
        for row in review.flagged.head(limit).to_dict(orient="records")
    ]
    return schemas.AgentReview(agents=agents, flagged_total=len(review.flagged), flagged=flagged)
