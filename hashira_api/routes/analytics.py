"""Staff questions to the lakehouse in plain words (or `sql SELECT …`): verified answers."""

from __future__ import annotations

import datetime as dt
import decimal
import math

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from hashira_api import schemas
from hashira_api.deps import StaffUser
from hashira_serving import analytics
from hashira_serving.errors import NotMaterializedError

router = APIRouter(prefix="/analytics", tags=["analytics"])


class Question(schemas.Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "What is the total revenue last month?"},
                {"question": "sql SELECT event_date, revenue FROM daily_total_sales LIMIT 5"},
            ]
        },
    )

    question: str = Field(min_length=1, max_length=100_000)


class Chart(BaseModel):
    kind: str = Field(description="line or bar")
    x: str | None = None
    y: str | None = None
    color: str | None = None


class Answer(BaseModel):
    question: str
    answered: bool
    refusal: str | None = Field(description="Why the question was refused, in one sentence.")
    sql: str | None
    columns: list[str]
    rows: list[list[str | float | int | bool | None]]
    chart: Chart | None
    narrative: str
    mode: str
    notice: str | None = None
    latency_s: float


def _cell(value):
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


@router.post("/ask", response_model=Answer, responses={403: {"model": schemas.Problem}})
def ask(body: Question, _staff: StaffUser) -> Answer:
    """Answer a question over the gold tables: the SQL that ran, the rows, a chart hint and a
    narrative whose every number is in the result; refusals say why."""
    try:
        answer = analytics.ask(body.question)
    except analytics.AnalyticsUnavailable as exc:
        raise NotMaterializedError(str(exc)) from exc
    chart = None
    if answer.chart is not None:
        hint = answer.chart
        chart = Chart(
            kind=str(getattr(hint, "kind", "")),
            x=getattr(hint, "x", None),
            y=getattr(hint, "y", None),
            color=getattr(hint, "color", None),
        )
    return Answer(
        question=answer.question,
        answered=answer.ok,
        refusal=answer.refusal,
        sql=answer.sql,
        columns=list(answer.columns),
        rows=[[_cell(v) for v in row] for row in answer.rows],
        chart=chart,
        narrative=answer.narrative,
        mode=answer.mode,
        notice=answer.notice,
        latency_s=round(float(answer.latency_s), 4),
    )
