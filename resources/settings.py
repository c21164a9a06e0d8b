"""Where things live and which environment runs: read once from the process environment."""

from __future__ import annotations

import functools
import os
from pathlib import Path

ENVIRONMENTS = ("local", "production")


def hashira_home() -> Path:
    """Root of generated data, the local lake, MLflow and Dagster storage (HASHIRA_HOME)."""
    return _resolved(os.environ.get("HASHIRA_HOME", "data"), os.getcwd())


@functools.lru_cache(maxsize=64)
def _resolved(path: str, cwd: str) -> Path:
    # Resolving touches the file system; request handlers ask for the home many times.
    return (Path(cwd) / Path(path).expanduser()).resolve()


def raw_dir() -> Path:
    """Folder the generator writes the raw world to."""
    return hashira_home() / "raw"


def default_lake_root() -> str:
    """Lake root: HASHIRA_LAKE_ROOT if set, else a folder under HASHIRA_HOME."""
    return os.environ.get("HASHIRA_LAKE_ROOT") or str(hashira_home() / "lake")


def default_preset() -> str:
    """Preset the raw assets generate when nothing else is configured (HASHIRA_PRESET)."""
    return os.environ.get("HASHIRA_PRESET", "tiny")


def get_env() -> str:
    """The environment whose resources the definitions use (HASHIRA_ENV: local or production)."""
    env = os.environ.get("HASHIRA_ENV", "local")
    if env not in ENVIRONMENTS:
        raise ValueError(f"HASHIRA_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    return env
