"""A HASHIRA_HOME with the whole graph materialized at `tiny`, for the app's tests.

Built once per session from a copy of the shared lakehouse (which no test may change): the model,
index and assistant groups are materialized into the copy, and the demo accounts are created.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from hashira_assets.definitions import build_definitions
from hashira_assets.raw.world_resource import SyntheticWorldResource
from resources.lake import LakeResource

MODEL_GROUPS = (
    "group:recommender or group:forecast or group:index or group:assistant or group:battle "
    "or group:images"
)


def materialize_models(home: Path) -> dg.ExecuteInProcessResult:
    """Materialize the model groups into `home` (HASHIRA_HOME must point at it)."""
    defs = build_definitions("local", preset="tiny")
    world = SyntheticWorldResource(raw_dir=str(home / "raw"), preset="tiny")
    lake = LakeResource(root=str(home / "lake"))
    return dg.materialize(
        list(defs.assets),
        resources={**defs.resources, "world": world, "lake": lake},
        selection=MODEL_GROUPS,
        raise_on_error=False,
    )


@pytest.fixture(scope="session")
def app_home(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny HASHIRA_HOME with every asset materialized and the demo accounts created.

    HASHIRA_TEST_APP_HOME names an already materialized tiny home to use instead (a developer's
    shortcut when iterating on the app's tests; CI always builds one)."""
    from hashira_serving.accounts import ensure_demo_accounts
    from resources.app_database import AppDatabaseResource

    if os.environ.get("HASHIRA_TEST_APP_HOME"):
        home = Path(os.environ["HASHIRA_TEST_APP_HOME"])
        previous = os.environ.get("HASHIRA_HOME")
        os.environ["HASHIRA_HOME"] = str(home)
        try:
            ensure_demo_accounts(AppDatabaseResource(), home / "raw")
        finally:
            os.environ.pop("HASHIRA_HOME") if previous is None else None
            if previous is not None:
                os.environ["HASHIRA_HOME"] = previous
        return home
    lakehouse = request.getfixturevalue("lakehouse")
    home = tmp_path_factory.mktemp("app") / "home"
    shutil.copytree(lakehouse.home, home, ignore=shutil.ignore_patterns("dagster_home"))
    previous = os.environ.get("HASHIRA_HOME")
    os.environ["HASHIRA_HOME"] = str(home)
    try:
        result = materialize_models(home)
        assert result.success, "the model groups failed to materialize on the tiny world"
        ensure_demo_accounts(AppDatabaseResource(), home / "raw")
    finally:
        if previous is None:
            del os.environ["HASHIRA_HOME"]
        else:
            os.environ["HASHIRA_HOME"] = previous
    return home


@pytest.fixture
def app_home_copy(app_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the materialized tiny home that one test may change (HASHIRA_HOME points at it).

    MLflow records absolute artifact locations, so the copy's registered versions still read
    their files from `app_home`: a test may add runs and versions, never remove them."""
    home = tmp_path / "home"
    shutil.copytree(app_home, home, ignore=shutil.ignore_patterns("dagster_home"))
    monkeypatch.setenv("HASHIRA_HOME", str(home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("HASHIRA_APP_DB_URL", raising=False)
    return home
