"""Access tokens: HS256 JWTs with the username, role and an expiry."""

from __future__ import annotations

import datetime as dt
import uuid

import jwt

from hashira_api.core.config import api_settings, signing_key

ALGORITHM = "HS256"


class InvalidToken(ValueError):
    """A token that is missing, malformed, forged or expired."""


def create_access_token(username: str, role: str, minutes: int | None = None) -> tuple[str, int]:
    """(token, seconds until it expires)."""
    lifetime = minutes if minutes is not None else api_settings().token_minutes
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": username,
        "role": role,
        "iat": now,
        "exp": now + dt.timedelta(minutes=lifetime),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, signing_key(), algorithm=ALGORITHM), lifetime * 60


def decode_access_token(token: str) -> dict:
    """The token's claims; InvalidToken when it cannot be trusted."""
    try:
        claims = jwt.decode(
            token, signing_key(), algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("The token has expired; sign in again.") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("The token is not valid.") from exc
    return claims
