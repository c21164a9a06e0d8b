"""`hashira ask-data` and `hashira bench analytics` on the hand-made lake."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hashira_cli.main import app
from hashira_serving import analytics as serving
from tests.analytics_lake import analytics_lake  # noqa: F401

runner = CliRunner()


@pytest.fixture(autouse=True)
def fresh_agents(monkeypatch):
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    serving.reset()
    yield
    serving.reset()


def test_ask_data_prints_the_answer_sql_and_table(analytics_lake):  # noqa: F811
    result = runner.invoke(app, ["ask-data", "revenue by product type", "--lake",
                                 str(analytics_lake)])  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Highest revenue by product type: Nodachi (300); Katana (100); Haori (20)."
    assert lines[1].startswith("SQL: SELECT g.category AS product_type")
    assert lines[2].split() == ["product_type", "revenue"]
    assert lines[3].split() == ["Nodachi", "300.0"]


def test_ask_data_runs_typed_sql_and_prints_json(analytics_lake):  # noqa: F811
    result = runner.invoke(app, ["ask-data", "sql SELECT name FROM products ORDER BY name",
                                 "--lake", str(analytics_lake), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["rows"] == [["Blush Haori"], ["Deep Nodachi"], ["Tide Katana"]]
    assert answer["sql"] == "SELECT name FROM products ORDER BY name LIMIT 1000"
    assert answer["mode"] == "sql" and answer["refusal"] is None


def test_ask_data_refusals_exit_1_with_the_reason(analytics_lake):  # noqa: F811
    result = runner.invoke(app, ["ask-data", "sql DELETE FROM products", "--lake",
                                 str(analytics_lake)])  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Refused: Only read-only SELECT queries are allowed, and this is a DELETE statement."
    )


def test_bench_analytics_writes_its_figures(analytics_lake, tmp_path):  # noqa: F811
    out = tmp_path / "analytics.json"
    result = runner.invoke(app, ["bench", "analytics", "--preset", "handmade", "--lake",
                                 str(analytics_lake), "--json", str(out),
                                 "--n-questions", "12"])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["questions"] == 12 and 0.0 <= report["execution_accuracy"] <= 1.0
    assert report["hostile_inputs"] >= 50 and report["hostile_refused_rate"] == 1.0
    assert report["lake_checksums_unchanged"] is True and report["lake_files_checked"] > 10
    assert report["latency_median_s"] <= report["latency_p95_s"]
