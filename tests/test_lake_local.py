"""Landing raw tables in a local-folder lake: checksums, skipping, deletion and atomic writes."""

import io
import json
import shutil
from pathlib import Path

import pytest

from hashira_assets.lake.landing import land_table, read_lake_manifest
from resources.lake import LakeResource


class FailingReader(io.RawIOBase):
    """A source that yields `good_bytes` bytes and then fails, as a crash mid-copy would."""

    def __init__(self, data: bytes, good_bytes: int) -> None:
        self.data, self.good_bytes, self.pos = data, good_bytes, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.pos >= self.good_bytes:
            raise OSError("simulated crash mid-write")
        size = min(len(buffer), self.good_bytes - self.pos)
        buffer[:size] = self.data[self.pos : self.pos + size]
        self.pos += size
        return size


@pytest.fixture
def world_copy(tiny_world, tmp_path) -> Path:
    """A private copy of the tiny world that a test may change."""
    return Path(shutil.copytree(tiny_world.out_dir, tmp_path / "raw"))


def test_landing_copies_every_file_and_records_a_manifest(world_copy, tmp_path):
    lake = LakeResource(root=str(tmp_path / "lake"))
    report = land_table(lake, world_copy, "interaction_events")
    assert report.files_written == 120 and report.files_skipped == 0
    assert report.partitions == 120
    counts = json.loads((world_copy / "manifest.json").read_text())["row_counts"]
    assert report.rows == counts["interaction_events"]
    landed = tmp_path / "lake" / "raw" / "interaction_events" / "event_date=2026-10-31"
    source = world_copy / "interaction_events" / "event_date=2026-10-31"
    assert (landed / "part-00000.parquet").read_bytes() == (
        source / "part-00000.parquet"
    ).read_bytes()
    manifest = read_lake_manifest(lake, "interaction_events")
    assert manifest["checksum"] == report.checksum
    assert len(manifest["files"]) == 120


def test_relanding_unchanged_data_rewrites_nothing(world_copy, tmp_path):
    lake = LakeResource(root=str(tmp_path / "lake"))
    first = land_table(lake, world_copy, "products")
    landed = tmp_path / "lake" / "raw" / "products" / "part-00000.parquet"
    mtime = landed.stat().st_mtime_ns
    second = land_table(lake, world_copy, "products")
    assert (second.files_written, second.files_skipped) == (0, 1)
    assert second.checksum == first.checksum
    assert landed.stat().st_mtime_ns == mtime


def test_changed_and_removed_files_are_mirrored(world_copy, tmp_path):
    lake = LakeResource(root=str(tmp_path / "lake"))
    land_table(lake, world_copy, "interaction_events")
    events = world_copy / "interaction_events"
    shutil.rmtree(events / "event_date=2026-07-04")
    shutil.copy(events / "event_date=2026-07-06" / "part-00000.parquet",
                events / "event_date=2026-07-05" / "part-00000.parquet")  # fmt: skip
    report = land_table(lake, world_copy, "interaction_events")
    assert (report.files_written, report.files_deleted, report.files_skipped) == (1, 1, 118)
    assert not (tmp_path / "lake/raw/interaction_events/event_date=2026-07-04").exists() or not any(
        (tmp_path / "lake/raw/interaction_events/event_date=2026-07-04").iterdir()
    )


def test_crash_mid_write_leaves_the_old_file_readable(tmp_path):
    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.write_bytes("raw/t/file.bin", b"old version")
    new = b"x" * (9 * 1024 * 1024)
    with pytest.raises(OSError, match="simulated crash"):
        lake.backend.write_stream("raw/t/file.bin", FailingReader(new, good_bytes=5 * 1024 * 1024))
    assert lake.read_bytes("raw/t/file.bin") == b"old version"
    assert [p.name for p in (tmp_path / "lake/raw/t").iterdir()] == ["file.bin"]  # no temp left


def test_missing_source_table_is_a_clear_error(tmp_path):
    lake = LakeResource(root=str(tmp_path / "lake"))
    with pytest.raises(FileNotFoundError, match="generate the world first"):
        land_table(lake, tmp_path / "nowhere", "customers")


def test_unsupported_lake_root_is_refused():
    with pytest.raises(Exception, match="unsupported lake root"):
        LakeResource(root="ftp://example/lake").list_keys("raw")
