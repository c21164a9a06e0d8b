"""Making sure $HASHIRA_HOME holds a world of a preset run through the Spark layers, for the
benchmarks that need one (they build it when it is missing or of another preset)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from hashira_assets import settings

LAKEHOUSE_SELECTION = "group:raw or group:lake or group:silver or group:gold"
_NEEDED = ("silver/interaction_events", "silver/customers", "silver/products",
           "gold/daily_product_sales")  # fmt: skip


def world_preset(raw_dir: Path) -> tuple[str, int] | None:
    """(preset, seed) of the world in raw_dir, from its manifest, or None."""
    manifest = raw_dir / "manifest.json"
    if not manifest.exists():
        return None
    config = json.loads(manifest.read_text()).get("config", {})
    return config.get("preset"), config.get("seed")


def lakehouse_ready(preset: str, seed: int) -> bool:
    """Whether HASHIRA_HOME has this preset's world with its silver and gold tables."""
    lake = Path(settings.default_lake_root())
    if world_preset(settings.raw_dir()) != (preset, seed):
        return False
    return all(any((lake / table).glob("**/*.parquet")) for table in _NEEDED)


def dagster_instance():
    """The persistent Dagster instance of DAGSTER_HOME (created if missing), or None for an
    ephemeral one when DAGSTER_HOME is not set."""
    import dagster as dg

    dagster_home = os.environ.get("DAGSTER_HOME")
    if not dagster_home:
        return None
    # Dagster refuses a DAGSTER_HOME that does not exist; a fresh one only needs the folder.
    Path(dagster_home).mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.get()


def ensure_lakehouse(preset: str, seed: int, log: Callable[[str], None]) -> Path:
    """The raw folder of a world of `preset` with silver and gold built, building them if needed."""
    import dagster as dg

    from hashira_assets.cli import partition_range_tags, resolve_selection
    from hashira_assets.definitions import build_definitions
    from hashira_assets.raw.world_config import make_config

    if lakehouse_ready(preset, seed):
        log(f"using the {preset!r} lakehouse in {settings.hashira_home()}")
        return settings.raw_dir()
    log(f"building the {preset!r} lakehouse in {settings.hashira_home()} (raw, lake, silver, gold)")
    defs = build_definitions(preset=preset, seed=seed)
    assets = list(defs.assets or [])
    result = dg.materialize(
        assets,
        resources=defs.resources,
        selection=resolve_selection(LAKEHOUSE_SELECTION, assets),
        instance=dagster_instance(),
        tags=partition_range_tags(make_config(preset, seed=seed)),
        raise_on_error=False,
    )
    if not result.success:
        raise RuntimeError(f"building the {preset!r} lakehouse failed; see the log above")
    return settings.raw_dir()
