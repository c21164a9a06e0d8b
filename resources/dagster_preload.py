"""What a launched run's fork server imports besides the definitions, so that each step's process
starts without importing it: the modules behind the Dagster instance (its storages, run launcher,
compute logs) and what opening it loads on first use.

A step forked from the server opens the instance (`DagsterInstance.from_ref`) before its first
line of work. On a 2-core Zen 3, with only the definitions preloaded, that first open imported
371 modules (SQLAlchemy, Alembic, the storages) in 2.6 s, in each of the `small` graph's 31 steps.
Importing them once in the server leaves a step's first open a handful of modules to import
(`tests/test_launch.py` counts them).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from dagster._core.instance.ref import InstanceRef
from dagster._serdes.config_class import ConfigurableClassData

# Imported by the instance's first open whatever its storage (found by listing what a first open
# in a process with the instance's own modules imported still imported).
FIRST_OPEN_MODULES = (
    "dagster._core.instance.factory",
    "dagster._core.secrets.env_file",
    "dagster._core.storage.migration.utils",
    "upath.implementations.local",
)


def instance_modules(home: str | os.PathLike | None) -> list[str]:
    """The modules that the instance configured in `home` (a DAGSTER_HOME) names for its parts;
    none without a `dagster.yaml` there."""
    if not home or not (Path(home) / "dagster.yaml").exists():
        return []
    ref = InstanceRef.from_dir(str(home))
    return sorted({part.module_name for part in ref if isinstance(part, ConfigurableClassData)})


def preload(home: str | os.PathLike | None) -> list[str]:
    """Import what a step's first open of the instance in `home` needs; returns the modules."""
    names = [*FIRST_OPEN_MODULES, *instance_modules(home)]
    for name in names:
        importlib.import_module(name)
    return names


# The fork server imports this module by name (`jobs.launch`), in the run worker's environment,
# where DAGSTER_HOME names the instance the run uses.
PRELOADED = preload(os.environ.get("DAGSTER_HOME"))
