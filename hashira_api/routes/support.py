"""Support-conversation summaries (staff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hashira_api import schemas
from hashira_api.deps import StaffUser
from hashira_serving import summaries

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
            issue_category=str(row["issue_category"]),
            resolution=str(row["resolution"]),
            sentiment=str(row["sentiment"]),
            summary=str(row["summary"]),
            model_version=str(row["model_version"]),
        )
        for row in page.to_dict(orient="records")
    ]
    return schemas.SummaryPage(total=len(frame), offset=offset, limit=limit, items=items)
