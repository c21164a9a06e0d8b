"""Whether the request-time services can answer: champions and the index load."""

from __future__ import annotations

from hashira_serving import chat, forecasts, recommendations
from hashira_serving.errors import NotMaterializedError


def checks() -> dict[str, str]:
    """'ok' or the reason, per dependency (loading what is not loaded yet)."""
    results = {}
    for name, probe in (
        ("recommender", recommendations.champion),
        ("forecasts", forecasts.forecasts),
        ("product_index", chat.index_version),
    ):
        try:
            probe()
        except (NotMaterializedError, OSError, ValueError) as exc:
            results[name] = str(exc)
        else:
            results[name] = "ok"
    return results
