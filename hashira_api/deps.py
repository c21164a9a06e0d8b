"""The API's dependencies: the signed-in account from a bearer token, and role checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer

from hashira_api.core.security import InvalidToken, decode_access_token
from hashira_serving.accounts import account_by_username
from resources.app_database import Account

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def get_current_user(token: Annotated[str | None, Depends(oauth2_scheme)]) -> Account:
    """The account a valid token names; 401 for a missing, bad or expired token."""
    if not token:
        raise unauthorized("Not signed in: send `Authorization: Bearer <token>`.")
    try:
        claims = decode_access_token(token)
    except InvalidToken as exc:
        raise unauthorized(str(exc)) from exc
    account = account_by_username(str(claims["sub"]))
    if account is None:
        raise unauthorized("The token's account no longer exists.")
    return account


CurrentUser = Annotated[Account, Depends(get_current_user)]


def get_staff_user(user: CurrentUser) -> Account:
    if user.role != "staff":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="This endpoint is for staff only.")
    return user


def get_shopper(user: CurrentUser) -> Account:
    if user.role != "shopper":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="This endpoint is for shopper accounts."
        )
    return user


StaffUser = Annotated[Account, Depends(get_staff_user)]
ShopperUser = Annotated[Account, Depends(get_shopper)]
