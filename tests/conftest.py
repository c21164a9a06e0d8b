"""Shared fixtures: one tiny world per test session, and temporary HASHIRA_HOME folders."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from hashira_assets.raw.generate import GenerationResult, generate_world
from hashira_assets.raw.world_config import make_config

pytest_plugins = [
    "tests.spark_session",
    "tests.assistant_fixtures",
    "tests.lakehouse_fixtures",
    "tests.app_fixtures",
    "tests.api_fixtures",
]

# Tests never write into a developer's ./data: the session gets its own HASHIRA_HOME before any
# definitions are built (they resolve paths when built).
os.environ["HASHIRA_HOME"] = tempfile.mkdtemp(prefix="hashira-test-home-")


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> GenerationResult:
    """The tiny preset with the default seed, generated once for the whole session."""
    return generate_world(make_config("tiny"), tmp_path_factory.mktemp("world") / "raw")


@pytest.fixture
def hashira_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HASHIRA_HOME for one test."""
    monkeypatch.setenv("HASHIRA_HOME", str(tmp_path))
    monkeypatch.delenv("HASHIRA_LAKE_ROOT", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return tmp_path


@pytest.fixture(autouse=True)
def torch_on_every_core():
    """Each test starts with torch on every usable core: the local chat model pins its process
    to one thread (right for a server answering requests side by side), which would otherwise
    slow every later test's training to one core."""
    import sys

    from resources.torch_cpu import usable_cores

    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != usable_cores():
        torch.set_num_threads(usable_cores())
    yield


@pytest.fixture(autouse=True)
def main_module_restored():
    """Streamlit's script runner (the app tests' AppTest) installs the app script as
    `__main__` and leaves it there; a process spawned later would run that script on start."""
    import sys

    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main
