"""Landing raw tables in the lake's raw zone, skipping files whose content is unchanged.

Each landed table keeps a `_manifest.json` beside its files: every file's SHA-256, size and row
count, and a table checksum over all of them. A file is uploaded only when its checksum differs
from the manifest's (or the object is missing); files no longer in the source are deleted; the
manifest is written last, so it only ever describes files that are fully in place.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import posixpath
import uuid
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

from resources.lake import LakeResource

RAW_ZONE = "raw"
MANIFEST_NAME = "_manifest.json"
# Uploads wait here until they are renamed into place (hidden from readers: leading underscore).
STAGING = "_staging"
_HASH_CHUNK = 4 * 1024 * 1024


@dataclasses.dataclass
class LandingReport:
    """What one landing of a table did."""

    table: str
    uri: str
    rows: int
    bytes: int
    checksum: str
    files_written: int
    files_skipped: int
    files_deleted: int
    partitions: int

    def as_metadata(self) -> dict:
        return dataclasses.asdict(self)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def table_checksum(files: dict[str, dict]) -> str:
    """One checksum for a whole table: the hash of its sorted (file, sha256) pairs."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{files[name]['sha256']}\n".encode())
    return digest.hexdigest()


def describe_local_table(table_dir: Path) -> dict[str, dict]:
    """Checksum, size and row count of every Parquet file under a local table folder."""
    if not table_dir.is_dir():
        raise FileNotFoundError(
            f"raw table folder {table_dir} does not exist; generate the world first"
        )
    files = {}
    for path in sorted(table_dir.rglob("*.parquet")):
        rel = path.relative_to(table_dir).as_posix()
        files[rel] = {
            "sha256": file_sha256(path),
            "bytes": path.stat().st_size,
            "rows": pq.read_metadata(path).num_rows,
        }
    return files


def read_lake_manifest(lake: LakeResource, table: str, zone: str = RAW_ZONE) -> dict | None:
    key = posixpath.join(zone, table, MANIFEST_NAME)
    if not lake.exists(key):
        return None
    return json.loads(lake.read_bytes(key))


def clear_staging(lake: LakeResource, zone: str, table: str) -> None:
    """Delete the staging folders that killed landings of `table` left."""
    for name in lake.list_dirs(posixpath.join(zone, STAGING)):
        if name.startswith(f"{table}-"):
            lake.delete_tree(posixpath.join(zone, STAGING, name))


def land_table(
    lake: LakeResource,
    source_dir: Path,
    table: str,
    zone: str = RAW_ZONE,
    on_file: Callable[[int, int], None] | None = None,
) -> LandingReport:
    """Mirror a local table folder into the lake's zone, uploading only changed files.

    Changed files are uploaded to a staging folder first (the long part) and then renamed into
    place, so a process killed during the uploads leaves the previous version as it was. The
    next landing deletes what a killed one staged, and lands again whatever is not in place.
    """
    clear_staging(lake, zone, table)
    local = describe_local_table(source_dir / table)
    previous = read_lake_manifest(lake, table, zone) or {"files": {}}
    old_files: dict[str, dict] = previous.get("files", {})
    staging = posixpath.join(zone, STAGING, f"{table}-{uuid.uuid4().hex[:12]}")
    staged = []
    skipped = 0
    for i, (rel, info) in enumerate(local.items()):
        key = posixpath.join(zone, table, rel)
        unchanged = old_files.get(rel, {}).get("sha256") == info["sha256"]
        if unchanged and lake.exists(key):
            skipped += 1
        else:
            lake.write_file(posixpath.join(staging, rel), source_dir / table / rel)
            staged.append(rel)
        if on_file:
            on_file(i + 1, len(local))
    # Renames: each file is whole at every moment, old or new.
    for rel in staged:
        lake.move(posixpath.join(staging, rel), posixpath.join(zone, table, rel))
    written = len(staged)
    deleted = 0
    for rel in sorted(set(old_files) - set(local)):
        lake.delete(posixpath.join(zone, table, rel))
        deleted += 1
    checksum = table_checksum(local)
    manifest = {"table": table, "checksum": checksum, "files": local}
    if written or deleted or previous.get("checksum") != checksum:
        lake.write_bytes(
            posixpath.join(zone, table, MANIFEST_NAME),
            (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode(),
        )
    lake.delete_tree(staging)
    partitions = len({posixpath.dirname(rel) for rel in local if "=" in rel})
    return LandingReport(
        table=table,
        uri=lake.uri(posixpath.join(zone, table)),
        rows=sum(f["rows"] for f in local.values()),
        bytes=sum(f["bytes"] for f in local.values()),
        checksum=checksum,
        files_written=written,
        files_skipped=skipped,
        files_deleted=deleted,
        partitions=partitions,
    )
