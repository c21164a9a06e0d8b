"""The single Dagster entry point: per-domain definitions merged with the resources."""

from __future__ import annotations

from dagster import Definitions

from hashira_assets.assistant import definitions as assistant
from hashira_assets.battle import definitions as battle
from hashira_assets.features import definitions as features
from hashira_assets.forecast import definitions as forecast
from hashira_assets.gold import definitions as gold
from hashira_assets.images import definitions as images
from hashira_assets.index import definitions as index
from hashira_assets.lake import definitions as lake
from hashira_assets.raw import definitions as raw
from hashira_assets.recommender import definitions as recommender
from hashira_assets.resources_by_env import build_resources
from hashira_assets.silver import definitions as silver
from jobs import definitions as jobs
from jobs.automation import with_automation
from resources.dagster_executor import prompt_multi_or_in_process_executor

# Modules, not their `defs`: Dagster allows only one Definitions object at module scope here.
DOMAIN_DEFS = (
    raw.defs,
    lake.defs,
    silver.defs,
    gold.defs,
    features.defs,
    recommender.defs,
    battle.defs,
    forecast.defs,
    index.defs,
    assistant.defs,
    images.defs,
    jobs.defs,
)


def automated(domain: Definitions) -> Definitions:
    """A domain's assets with their automation conditions (jobs/automation.py) attached."""
    if not domain.assets:
        return domain
    if domain.jobs or domain.schedules or domain.sensors or domain.resources:
        # Rebuilding from assets and checks would silently drop them.
        raise ValueError("a domain's Definitions may hold only assets and asset checks")
    return Definitions(assets=with_automation(domain.assets), asset_checks=domain.asset_checks)


def build_definitions(env: str | None = None, **resource_kwargs) -> Definitions:
    """All assets, jobs, schedules and sensors, bound to the resources of one environment."""
    return Definitions.merge(
        *(automated(domain) for domain in DOMAIN_DEFS),
        Definitions(
            resources=build_resources(env, **resource_kwargs),
            executor=prompt_multi_or_in_process_executor,
        ),
    )


defs = build_definitions()
