"""Whether the request-time services can answer: champions and the index load."""

from __future__ import annotations

from hashira_serving import build_status, chat, forecasts, recommendations
from hashira_serving.errors import NotMaterializedError


def checks() -> dict[str, str]:
    """'ok' or the reason, per dependency (loading what is not loaded yet); while a run is
    building a missing asset, the reason says so and how far the run is."""
    results = {}
    for name, probe in (
        ("recommender", recommendations.champion),
        ("forecasts", forecasts.forecasts),
        ("product_index", chat.index_version),
    ):
        try:
            probe()
        except NotMaterializedError as exc:
            results[name] = _being_built(exc) or str(exc)
        except (OSError, ValueError) as exc:
            results[name] = str(exc)
        else:
            results[name] = "ok"
    return results


def _being_built(exc: NotMaterializedError) -> str | None:
    build = build_status.building_now()
    if build is None or exc.asset is None or not build.builds(exc.asset):
        return None
    return f"being built now: `{exc.asset}` is planned in run {build.run_id} ({build.summary()})"
