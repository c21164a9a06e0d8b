"""Sales forecasts with their 80% and 95% bands (staff)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from hashira_api import schemas
from hashira_api.deps import StaffUser
from hashira_serving import forecasts

router = APIRouter(prefix="/forecasts", tags=["forecasts"])


@router.get(
    "/sales",
    response_model=schemas.Forecast,
    responses={403: {"model": schemas.Problem}, 404: {"model": schemas.Problem}},
)
def sales_forecast(
    _staff: StaffUser,
    level: Literal["total", "category", "product"] = "total",
    id: Annotated[
        str | None, Query(max_length=80, description="A category name or a product id.")
    ] = None,
    horizon: Annotated[int | None, Query(ge=1, le=90, description="Days ahead.")] = None,
) -> schemas.Forecast:
    """Daily units and revenue ahead for the shop, a category or a product, with history."""
    found = forecasts.forecast_with_history(level, id, horizon)
    rows = found["forecast"]
    rows = rows.assign(date=rows["date"].astype("datetime64[ns]").dt.date)
    points = rows[[f for f in schemas.ForecastPoint.model_fields]].to_dict(orient="records")
    history = found["history"].assign(date=lambda f: f["date"].dt.date)
    return schemas.Forecast(
        level=level,
        series_id=id if level != "total" else "total",
        model=found["model"],
        model_version=found["model_version"],
        cutoff=found["cutoff"],
        points=points,
        history=history.to_dict(orient="records"),
    )
