"""Liveness, readiness and the champion models."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from hashira_api import schemas
from hashira_api.deps import StaffUser
from hashira_serving import readiness
from hashira_serving.models import MODELS, champions

router = APIRouter(tags=["health"])


@router.get("/health/live", response_model=schemas.Health)
def live() -> schemas.Health:
    """The process answers."""
    return schemas.Health(status="ok")


@router.get(
    "/health/ready", response_model=schemas.Health, responses={503: {"model": schemas.Health}}
)
def ready(response: Response) -> schemas.Health:
    """Ready only when the champion recommender, the forecasts and the index load."""
    checks = readiness.checks()
    ok = all(value == "ok" for value in checks.values())
    if not ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return schemas.Health(status="ok" if ok else "not ready", checks=checks)


@router.get(
    "/models", response_model=list[schemas.ModelStatus], responses={403: {"model": schemas.Problem}}
)
def models(_staff: StaffUser) -> list[schemas.ModelStatus]:
    """Each served model's champion version and its metrics (staff)."""
    return [
        schemas.ModelStatus(
            name=info.name,
            title=MODELS[info.name],
            version=info.version,
            versions=info.versions,
            registered_at=info.registered_at,
            metrics={k: float(v) for k, v in info.metrics.items()},
        )
        for info in champions()
    ]
