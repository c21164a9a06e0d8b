"""Models that ship inside Python packages: where they are, and no hub downloads at run time."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def offline_models() -> None:
    """Forbid any model-hub download in this process: every model ships in a package."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def package_dir(package: str) -> Path:
    """Folder of an installed package, found without importing it (its __init__ may need extras)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the model package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))
