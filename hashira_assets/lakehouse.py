"""Making sure $HASHIRA_HOME holds a world of a preset run through the Spark layers, for the
benchmarks that need one (they build it when it is missing or of another preset), and the Dagster
instance of $DAGSTER_HOME with its storage (SQLite, or PostgreSQL from the environment)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from resources import settings

LAKEHOUSE_SELECTION = "group:raw or group:lake or group:silver or group:gold"
# The local instance settings (SQLite storage) that `write_dagster_yaml` starts from.
DAGSTER_YAML = Path(__file__).resolve().parents[1] / "dagster.yaml"
# dagster-postgres runs on psycopg2 (its NOTIFY statement fails under psycopg 3, which SQLAlchemy
# 2.1 picks for a bare postgresql:// URL), so the driver is always named.
PG_SCHEME = "postgresql+psycopg2"
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
    """The persistent Dagster instance of DAGSTER_HOME (created if missing, with the dagster.yaml
    of `write_dagster_yaml`), or None for an ephemeral one when DAGSTER_HOME is not set."""
    import dagster as dg

    dagster_home = os.environ.get("DAGSTER_HOME")
    if not dagster_home:
        return None
    # Dagster refuses a DAGSTER_HOME that does not exist; a fresh one only needs the folder.
    Path(dagster_home).mkdir(parents=True, exist_ok=True)
    if not (Path(dagster_home) / "dagster.yaml").exists():
        write_dagster_yaml(Path(dagster_home))
    return dg.DagsterInstance.get()


def dagster_storage(environ: Mapping[str, str]) -> dict | None:
    """The instance's storage section: PostgreSQL when DAGSTER_PG_URL or DAGSTER_POSTGRES_HOST is
    set, None (SQLite under DAGSTER_HOME) otherwise. Values stay `{env: VAR}` references, so no
    secret is ever written to the file; Dagster reads them when the instance starts."""
    url = environ.get("DAGSTER_PG_URL")
    if url:
        if not url.startswith(f"{PG_SCHEME}://"):
            raise ValueError(
                f"DAGSTER_PG_URL must start with {PG_SCHEME}:// (dagster-postgres needs the "
                "psycopg2 driver; SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3)"
            )
        return {"postgres": {"postgres_url": {"env": "DAGSTER_PG_URL"}}}
    if environ.get("DAGSTER_POSTGRES_HOST"):
        names = {"hostname": "HOST", "username": "USER", "password": "PASSWORD", "db_name": "DB"}
        postgres_db: dict = {key: {"env": f"DAGSTER_POSTGRES_{var}"} for key, var in names.items()}
        postgres_db["port"] = int(environ.get("DAGSTER_POSTGRES_PORT") or 5432)
        postgres_db["scheme"] = PG_SCHEME
        return {"postgres": {"postgres_db": postgres_db}}
    return None


def dagster_yaml(environ: Mapping[str, str], template: Path = DAGSTER_YAML) -> str:
    """The repository's dagster.yaml (local settings, SQLite storage) with the storage section
    the environment asks for."""
    import yaml

    config = yaml.safe_load(template.read_text())
    storage = dagster_storage(environ)
    header = "# Written by `hashira dagster-yaml` from dagster.yaml; storage: {}.\n"
    if storage is None:
        return header.format("SQLite under DAGSTER_HOME") + yaml.safe_dump(config, sort_keys=False)
    config["storage"] = storage
    return header.format("PostgreSQL") + yaml.safe_dump(config, sort_keys=False)


def write_dagster_yaml(dagster_home: Path, environ: Mapping[str, str] | None = None) -> Path:
    """Write DAGSTER_HOME/dagster.yaml for the storage the environment (default os.environ)
    asks for, leaving the file untouched when it already says the same."""
    target = Path(dagster_home) / "dagster.yaml"
    text = dagster_yaml(os.environ if environ is None else environ)
    if not target.exists() or target.read_text() != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return target


def ensure_lakehouse(preset: str, seed: int, log: Callable[[str], None]) -> Path:
    """The raw folder of a world of `preset` with silver and gold built, building them if needed."""
    if lakehouse_ready(preset, seed):
        log(f"using the {preset!r} lakehouse in {settings.hashira_home()}")
        return settings.raw_dir()
    log(f"building the {preset!r} lakehouse in {settings.hashira_home()} (raw, lake, silver, gold)")
    _materialize(preset, seed, LAKEHOUSE_SELECTION, f"the {preset!r} lakehouse")
    return settings.raw_dir()


def ensure_recommender_tables(
    preset: str, seed: int, end_day: int, train_weeks: int, log: Callable[[str], None]
) -> None:
    """The `features` group's recommender tables for a training of `train_weeks` weeks on the
    lakehouse's world (whose last day is `end_day`), computed when a cut-off is missing."""
    from hashira_assets.recommender.cutoff_tables import (
        TABLE_NAMES,
        ZONE,
        cutoff_folder,
        training_cutoffs,
    )
    from resources.lake import LakeResource

    lake = LakeResource(root=settings.default_lake_root())
    missing = [
        day
        for day in training_cutoffs(end_day, train_weeks)
        if not lake.list_keys(f"{ZONE}/{cutoff_folder(TABLE_NAMES[-1], day)}")
    ]
    if not missing:
        return
    log(f"computing the recommender's tables for {train_weeks} training weeks (Spark)")
    selection = " or ".join(f"key:{name}" for name in TABLE_NAMES)
    config = {"ops": {"recommender_cutoff_tables": {"config": {"train_weeks": train_weeks}}}}
    _materialize(preset, seed, selection, "the recommender's tables", config)


def _materialize(
    preset: str, seed: int, selection: str, what: str, run_config: dict | None = None
) -> None:
    import dagster as dg

    from hashira_assets.definitions import build_definitions
    from hashira_assets.raw.world_config import make_config
    from hashira_assets.selection import partition_range_tags, resolve_selection

    defs = build_definitions(preset=preset, seed=seed)
    assets = list(defs.assets or [])
    result = dg.materialize(
        assets,
        resources=defs.resources,
        selection=resolve_selection(selection, assets),
        instance=dagster_instance(),
        tags=partition_range_tags(make_config(preset, seed=seed)),
        run_config=run_config,
        raise_on_error=False,
    )
    if not result.success:
        raise RuntimeError(f"building {what} failed; see the log above")
