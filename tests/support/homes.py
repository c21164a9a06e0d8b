"""A HASHIRA_HOME of one's own, holding a copy of the session's tiny lakehouse."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# Settings that would point a test at somebody else's stores.
HOME_VARIABLES = ("HASHIRA_LAKE_ROOT", "MLFLOW_TRACKING_URI", "HASHIRA_APP_DB_URL", "DAGSTER_HOME")


def lakehouse_copy(lakehouse_home: Path, home: Path, patch: pytest.MonkeyPatch) -> Path:
    """Copy the lakehouse's raw world and lake to `home` and make it HASHIRA_HOME (other tests
    read the session's lakehouse unchanged)."""
    for part in ("raw", "lake"):
        shutil.copytree(lakehouse_home / part, home / part)
    patch.setenv("HASHIRA_HOME", str(home))
    for name in HOME_VARIABLES:
        patch.delenv(name, raising=False)
    return home
