"""API settings from the environment; the JWT secret never has a default in the code."""

from __future__ import annotations

import functools
import secrets
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from resources import settings as hashira_settings

SECRET_FILE = "api/jwt_secret"
MIN_SECRET_BYTES = 32


class ApiSettings(BaseSettings):
    """HASHIRA_JWT_SECRET, HASHIRA_TOKEN_MINUTES, HASHIRA_SIGNIN_* (see .env.example)."""

    model_config = SettingsConfigDict(env_prefix="HASHIRA_", extra="ignore")

    jwt_secret: SecretStr | None = Field(
        default=None,
        description="HS256 signing key; locally, a key generated once under HASHIRA_HOME.",
    )
    token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    signin_attempts: int = Field(default=5, ge=1, description="Failed sign-ins per window.")
    signin_window_seconds: int = Field(default=300, ge=1)


def local_secret(home: Path) -> str:
    """The local signing key: generated once (0600) under HASHIRA_HOME, then read back."""
    path = home / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(secrets.token_urlsafe(48))
        partial.chmod(0o600)
        partial.replace(path)
    secret = path.read_text().strip()
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"{path} holds a key shorter than {MIN_SECRET_BYTES} characters")
    return secret


@functools.cache
def _cached(home: str) -> tuple[ApiSettings, str]:
    config = ApiSettings()
    if config.jwt_secret is not None and config.jwt_secret.get_secret_value():
        secret = config.jwt_secret.get_secret_value()
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"HASHIRA_JWT_SECRET must be at least {MIN_SECRET_BYTES} characters")
    else:
        secret = local_secret(Path(home))
    return config, secret


def api_settings() -> ApiSettings:
    return _cached(str(hashira_settings.hashira_home()))[0]


def signing_key() -> str:
    return _cached(str(hashira_settings.hashira_home()))[1]
