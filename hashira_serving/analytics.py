"""Request-time analytics: one cached agent per lake root, and `ask` for the app, CLI and API."""

from __future__ import annotations

import functools

from hashira_assets.analytics.agent import AnalyticsAgent, AnalyticsAnswer
from resources import settings

__all__ = ["AnalyticsAnswer", "agent", "ask"]


@functools.lru_cache(maxsize=4)
def _agent(lake_root: str, use_embeddings: bool) -> AnalyticsAgent:
    embed = None
    if use_embeddings:
        from hashira_assets.index.embedding import embed
    return AnalyticsAgent(lake_root, embed=embed)


def agent(lake_root: str | None = None, use_embeddings: bool = True) -> AnalyticsAgent:
    """The agent over lake_root (default: the configured lake), built once per process."""
    return _agent(lake_root or settings.default_lake_root(), use_embeddings)


def ask(question: str, lake_root: str | None = None) -> AnalyticsAnswer:
    """Answer a staff question (or `sql SELECT ...`) over the lake; refusals are in the answer."""
    return agent(lake_root).ask(question)


def reset() -> None:
    """Forget the cached agents (after the lake was rebuilt, or between tests)."""
    _agent.cache_clear()
