"""The analytics engine over an s3:// lake, through fsspec, against the moto S3 server."""

from __future__ import annotations

import sys
from pathlib import Path

import boto3
import pytest

from hashira_assets.analytics.agent import AnalyticsAgent
from hashira_assets.analytics.engine import s3_filesystem
from hashira_serving import analytics as serving
from tests.analytics_lake import analytics_lake  # noqa: F401
from tests.support.background import background_process, free_port, wait_for_http

pytestmark = pytest.mark.integration
BUCKET = "hashira-analytics-test"


@pytest.fixture(scope="module")
def s3_lake(analytics_lake, tmp_path_factory):  # noqa: F811
    """The hand-made lake uploaded to a bucket of a moto server: (endpoint, lake URI)."""
    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with background_process([str(moto), "-H", "127.0.0.1", "-p", str(port)], log) as process:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(url + "/moto-api/", process=process)
        keys = {"aws_access_key_id": "hashira", "aws_secret_access_key": "secret"}
        client = boto3.client("s3", endpoint_url=url, region_name="us-east-1", **keys)
        client.create_bucket(Bucket=BUCKET)
        for path in analytics_lake.rglob("*.parquet"):
            key = f"lake/{path.relative_to(analytics_lake).as_posix()}"
            client.upload_file(str(path), BUCKET, key)
        yield url, f"s3://{BUCKET}/lake"


@pytest.fixture
def aws_env(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "hashira")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")


def test_questions_over_an_s3_lake_give_the_local_answers(s3_lake, aws_env):
    endpoint, root = s3_lake
    agent = AnalyticsAgent(root, filesystem=s3_filesystem(endpoint))
    assert agent.ask("What is the total revenue?").rows == [(420.0,)]
    assert agent.ask("revenue by product type").rows == [
        ("Nodachi", 300.0), ("Katana", 100.0), ("Haori", 20.0)
    ]  # fmt: skip
    # The staging file under the table is skipped remotely too; nothing else is reachable.
    assert agent.ask("sql SELECT * FROM read_csv('/etc/passwd')").refusal
    with pytest.raises(Exception, match="disabled by configuration"):
        agent.engine.execute("SELECT * FROM read_csv('/etc/passwd')")
    agent.close()


def test_the_serving_layer_reads_an_s3_lake_root(s3_lake, aws_env, monkeypatch):
    endpoint, root = s3_lake
    monkeypatch.setenv("HASHIRA_S3_ENDPOINT_URL", endpoint)
    serving.reset()
    answer = serving.agent(root, use_embeddings=False).ask("daily revenue")
    assert [r[1] for r in answer.rows] == [120.0, 300.0]
    serving.reset()
