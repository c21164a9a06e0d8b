"""Content versions of the tables models train on: lake tables and the generated world's folders.

A version is a SHA-256 of a table's content, taken from its files, so it works the same on a local
lake, HDFS and S3 (Iceberg and Delta snapshots cannot be had here):

- a landed raw table: the checksum in its `_manifest.json` (over every file's SHA-256);
- a table Spark wrote: the SHA-256 over its Parquet files' partition folders and content hashes
  (file names are left out: Spark names each file after its write job);
- a folder of the generated world: the same checksum a landing would record.

Every model version records the versions of its inputs (MLflow dataset inputs, written by the
model lifecycle), and `hashira reproduce` checks them before it retrains.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable, Iterable
from pathlib import Path

from hashira_assets.lake.landing import (
    RAW_ZONE,
    describe_local_table,
    read_lake_manifest,
    table_checksum,
)
from hashira_assets.metadata import markdown_table
from resources.lake import LakeResource, TableVersion

WORLD = "world"  # the generated raw folder, read directly (not through the lake)


def spark_table_version(
    lake: LakeResource,
    zone: str,
    table: str,
    folders: Callable[[str], bool] | None = None,
    allow_empty: bool = False,
) -> str:
    """The content version of a table Spark wrote: partition folder and SHA-256 of each file
    (only of the partition folders `folders` accepts, when given). No files is an error unless
    `allow_empty` (a partitioned write of no rows writes no day folder)."""
    prefix = posixpath.join(zone, table)
    entries = []
    for key in lake.list_keys(prefix):
        if not key.endswith(".parquet"):
            continue
        folder = posixpath.dirname(posixpath.relpath(key, prefix))
        if folders is not None and not folders(folder):
            continue
        entries.append(f"{folder}\0{hashlib.sha256(lake.read_bytes(key)).hexdigest()}")
    if not entries and not allow_empty:
        raise FileNotFoundError(f"{zone}/{table} has no Parquet files in the lake")
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()


def lake_table_version(lake: LakeResource, zone: str, table: str) -> TableVersion:
    """The version of a lake table (raw: from its landing manifest)."""
    uri = lake.uri(posixpath.join(zone, table))
    if zone == RAW_ZONE:
        manifest = read_lake_manifest(lake, table)
        if manifest is None:
            raise FileNotFoundError(f"raw/{table} has not been landed in the lake")
        rows = sum(f["rows"] for f in manifest["files"].values())
        return TableVersion(f"{zone}/{table}", manifest["checksum"], uri, rows)
    return TableVersion(f"{zone}/{table}", spark_table_version(lake, zone, table), uri)


def world_table_version(raw_dir: Path, table: str) -> TableVersion:
    """The version of a folder of the generated world (what landing it would record)."""
    files = describe_local_table(Path(raw_dir) / table)
    rows = sum(f["rows"] for f in files.values())
    uri = (Path(raw_dir) / table).resolve().as_uri()
    return TableVersion(f"{WORLD}/{table}", table_checksum(files), uri, rows)


def table_versions(
    lake: LakeResource | None, raw_dir: Path | None, names: Iterable[str]
) -> list[TableVersion]:
    """Versions of `names` ("silver/products", "world/promotions", ...), in that order."""
    out = []
    for name in names:
        zone, table = name.split("/", 1)
        if zone == WORLD:
            if raw_dir is None:
                raise ValueError(f"{name} needs the world's raw folder")
            out.append(world_table_version(raw_dir, table))
        elif lake is None:
            raise ValueError(f"{name} needs the lake")
        else:
            out.append(lake_table_version(lake, zone, table))
    return out


def changed_tables(recorded: dict[str, str], current: list[TableVersion]) -> list[str]:
    """Which recorded inputs are at another version now, as readable lines."""
    now = {t.name: t.version for t in current}
    return [
        f"{name}: recorded {version[:12]}, now {now.get(name, 'missing')[:12]}"
        for name, version in sorted(recorded.items())
        if now.get(name) != version
    ]


def inputs_table(inputs: Iterable[TableVersion]) -> str:
    """A model's input tables and versions as a markdown table (asset metadata)."""
    rows = [{"table": t.name, "version": t.version[:12], "rows": t.rows} for t in inputs]
    return markdown_table(rows)
