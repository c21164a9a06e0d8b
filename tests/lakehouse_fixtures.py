"""A tiny world run through the Spark layers once per session, for the model tests.

The recommender and forecaster tests read its silver and gold tables; no test may change it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hashira_assets.raw.world_resource import SyntheticWorldResource
from resources.lake import LakeResource
from tests.spark_layer import materialize_world


@dataclasses.dataclass(frozen=True)
class Lakehouse:
    """Where the session's lakehouse lives and the resources that read it."""

    home: Path
    world: SyntheticWorldResource
    lake: LakeResource


@pytest.fixture(scope="session")
def lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Lakehouse:
    """The tiny world (no injected faults) with silver, gold and feature tables in its lake."""
    home = tmp_path_factory.mktemp("lakehouse")
    result = materialize_world(home, corrupt_rate=0.0)
    assert result.success, "the Spark layers failed on the tiny world"
    return Lakehouse(
        home=home,
        world=SyntheticWorldResource(raw_dir=str(home / "raw"), preset="tiny"),
        lake=LakeResource(root=str(home / "lake")),
    )
