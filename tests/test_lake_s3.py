"""The S3 path against a real S3-compatible server (moto) on loopback, via the same resource."""

import shutil
import sys
from pathlib import Path

import boto3
import pytest

from hashira_assets.lake.landing import land_table
from resources.lake import LakeResource
from tests.support.background import background_process, free_port, wait_for_http
from tests.test_lake_local import FailingReader

pytestmark = pytest.mark.integration
BUCKET = "hashira-test-lake"


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with background_process([str(moto), "-H", "127.0.0.1", "-p", str(port)], log) as process:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(url + "/moto-api/", process=process)
        yield url


@pytest.fixture
def s3_lake(s3_endpoint, monkeypatch) -> LakeResource:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "hashira")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hashira-secret")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield LakeResource(root=f"s3://{BUCKET}/lake", s3_endpoint_url=s3_endpoint)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_landing_to_s3_writes_then_skips_unchanged_files(s3_lake, tiny_world, tmp_path):
    world = Path(shutil.copytree(tiny_world.out_dir, tmp_path / "raw"))
    first = land_table(s3_lake, world, "interaction_events")
    assert first.files_written == 120
    assert first.uri == f"s3://{BUCKET}/lake/raw/interaction_events"
    keys = s3_lake.list_keys("raw/interaction_events")
    assert len(keys) == 121  # 120 partitions + the manifest
    source = world / "interaction_events" / "event_date=2026-08-01" / "part-00000.parquet"
    landed = s3_lake.read_bytes("raw/interaction_events/event_date=2026-08-01/part-00000.parquet")
    assert landed == source.read_bytes()
    again = land_table(s3_lake, world, "interaction_events")
    assert (again.files_written, again.files_skipped) == (0, 120)
    assert again.checksum == first.checksum


@pytest.mark.parametrize("size_mb", [1, 20], ids=["single-put", "multipart"])
def test_crash_mid_upload_leaves_the_old_object_readable(s3_lake, s3_endpoint, size_mb):
    s3_lake.write_bytes("raw/t/file.bin", b"old version")
    data = b"y" * (size_mb * 1024 * 1024)
    failing = FailingReader(data, good_bytes=len(data) // 2)
    with pytest.raises(OSError, match="simulated crash"):
        s3_lake.backend.write_stream("raw/t/file.bin", failing)
    assert s3_lake.read_bytes("raw/t/file.bin") == b"old version"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    assert not client.list_multipart_uploads(Bucket=BUCKET).get("Uploads")
    s3_lake.write_bytes("raw/t/file.bin", data)
    assert s3_lake.read_bytes("raw/t/file.bin") == data
