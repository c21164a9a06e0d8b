"""The agent's validated SQL, transpiled by sqlglot, gives the same rows on Spark SQL."""

from __future__ import annotations

import pytest

from hashira_assets.analytics.agent import AnalyticsAgent
from hashira_assets.analytics.spark_sql import run_on_spark
from tests.analytics_lake import analytics_lake  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "question",
    ["revenue by product type", "daily orders", "units sold for Water breathing products",
     "Show me the conversion rates", "revenue by week", "average order value by region"],
)  # fmt: skip
def test_the_same_query_runs_on_spark(spark, analytics_lake, question):  # noqa: F811
    agent = AnalyticsAgent(analytics_lake)
    answer = agent.ask(question)
    assert answer.ok, answer.refusal
    columns, rows = run_on_spark(
        spark, str(analytics_lake), answer.sql, answer.params, agent.tables
    )
    assert columns == answer.columns
    assert rows == [tuple(r) for r in answer.rows]
    agent.close()


def test_ask_data_on_spark_answers_with_sparks_rows(spark, analytics_lake):  # noqa: F811
    from typer.testing import CliRunner

    from hashira_cli.main import app
    from hashira_serving import analytics

    on_duckdb = analytics.ask("revenue by product type", lake_root=str(analytics_lake))
    on_spark = analytics.ask_on_spark("revenue by product type", lake_root=str(analytics_lake))
    assert on_spark.mode.endswith("+spark") and on_spark.sql == on_duckdb.sql
    assert on_spark.rows == [tuple(r) for r in on_duckdb.rows]
    refused = analytics.ask_on_spark("sql DROP TABLE products", lake_root=str(analytics_lake))
    assert refused.refusal and not refused.rows
    out = CliRunner().invoke(
        app, ["ask-data", "revenue by product type", "--lake", str(analytics_lake), "--spark"]
    )
    assert out.exit_code == 0, out.output
    assert "SQL: SELECT" in out.output
