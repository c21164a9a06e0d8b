"""Request-time analytics: one cached agent per lake root, and `ask` for the app, CLI and API."""

from __future__ import annotations

import functools
import os

from hashira_assets.analytics.agent import AnalyticsAgent, AnalyticsAnswer
from resources import settings

__all__ = ["AnalyticsAnswer", "AnalyticsUnavailable", "agent", "ask", "glossary"]


class AnalyticsUnavailable(RuntimeError):
    """The lake has no gold tables yet, so there is nothing to ask about."""


@functools.lru_cache(maxsize=4)
def _agent(lake_root: str, use_embeddings: bool, use_gemini: bool) -> AnalyticsAgent:
    from hashira_assets.analytics.engine import s3_filesystem, table_files

    filesystem = None
    if lake_root.startswith("s3://"):
        # The same endpoint variable the lake resource reads (MinIO, moto, or empty for AWS).
        filesystem = s3_filesystem(os.environ.get("HASHIRA_S3_ENDPOINT_URL") or None)
    if not table_files(lake_root, "gold", "daily_total_sales", filesystem):
        raise AnalyticsUnavailable(
            f"The lake at {lake_root} has no gold tables yet: run `make demo` "
            "(or materialize the gold group) first."
        )
    embed = None
    if use_embeddings:
        from hashira_assets.index.embedding import embed
    llm = None
    if use_gemini:
        # Text-to-SQL only with a hosted model: the bundled 135M model is not asked for SQL.
        from resources.llm import GeminiProvider

        llm = GeminiProvider(os.environ["GOOGLE_API_KEY"])
    return AnalyticsAgent(lake_root, embed=embed, filesystem=filesystem, llm=llm)


def agent(lake_root: str | None = None, use_embeddings: bool = True) -> AnalyticsAgent:
    """The agent over lake_root (default: the configured lake), built once per process."""
    use_gemini = bool(os.environ.get("GOOGLE_API_KEY"))
    return _agent(lake_root or settings.default_lake_root(), use_embeddings, use_gemini)


def ask(question: str, lake_root: str | None = None) -> AnalyticsAnswer:
    """Answer a staff question (or `sql SELECT ...`) over the lake; refusals are in the answer.

    Raises AnalyticsUnavailable when the lake has no gold tables."""
    return agent(lake_root).ask(question)


def ask_on_spark(question: str, lake_root: str | None = None) -> AnalyticsAnswer:
    """The same answer with its validated query run on Spark SQL (for lakes too big for one
    machine): the rows and columns are Spark's; a refusal is returned as it is."""
    import dataclasses

    from hashira_assets.analytics.spark_sql import run_on_spark
    from resources.spark import get_spark_session

    answer = ask(question, lake_root)
    if not answer.ok:
        return answer
    root = lake_root or settings.default_lake_root()
    columns, rows = run_on_spark(
        get_spark_session(), root, answer.sql, answer.params, agent(root).tables
    )
    return dataclasses.replace(answer, columns=columns, rows=rows, mode=f"{answer.mode}+spark")


def glossary() -> dict[str, list[tuple[str, str]]]:
    """What can be asked: {"metrics": [(label, description)], "dimensions": [(label, words)],
    "tables": [(name, description)]}, from the semantic layer."""
    from hashira_assets.analytics.semantic import DIMENSIONS, METRICS, table_docs

    return {
        "metrics": [(m.label, m.description) for m in METRICS.values()],
        "dimensions": [(d.label, ", ".join(d.aliases)) for d in DIMENSIONS.values()],
        "tables": [(name, doc.description) for name, doc in table_docs().items()],
    }


def reset() -> None:
    """Forget the cached agents (after the lake was rebuilt, or between tests)."""
    _agent.cache_clear()
