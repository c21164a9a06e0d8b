"""The agent's validated SQL, transpiled by sqlglot, gives the same rows on Spark SQL."""

from __future__ import annotations

import pytest

from hashira_assets.analytics.agent import AnalyticsAgent
from hashira_assets.analytics.guard import to_spark_sql
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
    for name in agent.tables:
        doc_zone = {"interaction_events": "silver", "products": "silver", "customers": "silver"}
        zone = doc_zone.get(name) or ("features" if name.endswith("features") else "gold")
        spark.read.parquet(str(analytics_lake / zone / name)).createOrReplaceTempView(name)
    rows = spark.sql(to_spark_sql(answer.sql), args=list(answer.params)).collect()
    assert [tuple(r) for r in rows] == [tuple(r) for r in answer.rows]
    agent.close()
