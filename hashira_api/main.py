"""The FastAPI app: one router per resource, and errors as clear 4xx answers, never a traceback.

Run it with `hashira api` (uvicorn on 127.0.0.1:8000); the OpenAPI schema is at /openapi.json
and the interactive docs at /docs.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.responses import JSONResponse

from hashira_api.routes import (
    analytics,
    auth,
    chat,
    events,
    forecasts,
    health,
    images,
    products,
    recommendations,
    support,
)
from hashira_serving.errors import NotFoundError, NotMaterializedError
from hashira_serving.recommendations import NeedsOnboarding
from resources.mlflow_tracking import ModelIntegrityError

log = logging.getLogger("hashira.api")

DESCRIPTION = """HashiraMart's REST API: the catalog, recommendations, forecasts, the product chat
and combat coach, support summaries, shop events and the Dojo, product pictures and slayer
portraits, over what the asset graph
published. Sign in at `POST /auth/token` (OAuth2 password flow) and send the token as
`Authorization: Bearer <token>`. Staff-only endpoints answer 403 to shoppers."""

api_router = APIRouter()
for module in (
    auth,
    products,
    recommendations,
    forecasts,
    chat,
    support,
    events,
    analytics,
    images,
    health,
):
    api_router.include_router(module.router)


def _problem(code: int, detail: str) -> JSONResponse:
    return JSONResponse(status_code=code, content={"detail": detail})


def create_app() -> FastAPI:
    app = FastAPI(title="HashiraMart API", version="1.0", description=DESCRIPTION)
    app.include_router(api_router)

    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return _problem(status.HTTP_404_NOT_FOUND, str(exc))

    @app.exception_handler(NotMaterializedError)
    async def not_materialized(_: Request, exc: NotMaterializedError) -> JSONResponse:
        return _problem(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc))

    @app.exception_handler(ModelIntegrityError)
    async def model_changed(_: Request, exc: ModelIntegrityError) -> JSONResponse:
        log.error("model refused: %s", exc)
        return _problem(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc))

    @app.exception_handler(NeedsOnboarding)
    async def needs_onboarding(_: Request, exc: NeedsOnboarding) -> JSONResponse:
        return _problem(
            status.HTTP_409_CONFLICT,
            "The shop knows nothing about this shopper yet: answer the onboarding in the app, "
            "or use POST /recommend with a profile.",
        )

    @app.exception_handler(ValueError)
    async def bad_value(_: Request, exc: ValueError) -> JSONResponse:
        # The same shape as FastAPI's own validation errors, so every 422 reads alike.
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={"detail": [{"loc": ["request"], "msg": str(exc), "type": "value_error"}]},
        )

    @app.exception_handler(PermissionError)
    async def forbidden(_: Request, exc: PermissionError) -> JSONResponse:
        return _problem(status.HTTP_403_FORBIDDEN, str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged with its traceback for operators; the client gets no internals.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _problem(status.HTTP_500_INTERNAL_SERVER_ERROR, "Internal error; it was logged.")

    return app


app = create_app()
