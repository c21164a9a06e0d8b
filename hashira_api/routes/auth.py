"""Sign-in (OAuth2 password flow) and the signed-in user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from hashira_api import schemas
from hashira_api.core.config import api_settings
from hashira_api.core.rate_limit import SignInLimiter
from hashira_api.core.security import create_access_token
from hashira_api.deps import CurrentUser
from hashira_serving import accounts
from hashira_serving.context import app_db

router = APIRouter(tags=["auth"])
CLIENT_FACTOR = 4
_limiters: dict[tuple[int, int], SignInLimiter] = {}


def limiter() -> SignInLimiter:
    config = api_settings()
    key = (config.signin_attempts, config.signin_window_seconds)
    if key not in _limiters:
        _limiters[key] = SignInLimiter(*key)
    return _limiters[key]


@router.post(
    "/auth/token",
    response_model=schemas.Token,
    responses={401: {"model": schemas.Problem}, 429: {"model": schemas.Problem}},
)
def sign_in(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> schemas.Token:
    """A bearer token for a username and password (the app's accounts)."""
    username = form.username.strip().lower()[:64]
    client = request.client.host if request.client else "unknown"
    # Per username (guessing one account's password), and per client with a looser limit
    # (trying many accounts from one address) that a few typos by its other users stay under.
    keys = {
        f"user:{username}": None,
        f"client:{client}": CLIENT_FACTOR * api_settings().signin_attempts,
    }
    wait = limiter().retry_after(keys)
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail="Too many failed sign-ins; try again later.",
            headers={"Retry-After": str(wait)},
        )
    account = accounts.sign_in(app_db(), username, form.password[:1024])
    if account is None:
        limiter().failed(list(keys))
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="Wrong username or password.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    limiter().succeeded(f"user:{username}")
    token, seconds = create_access_token(account.username, account.role)
    return schemas.Token(access_token=token, expires_in=seconds)


@router.get("/users/me", response_model=schemas.User, responses={401: {"model": schemas.Problem}})
def me(user: CurrentUser) -> schemas.User:
    """The signed-in account."""
    return schemas.User(
        username=user.username,
        role=user.role,
        display_name=user.display_name,
        customer_id=user.customer_id,
        profile=user.profile,
    )
