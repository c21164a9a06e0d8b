"""The single Dagster entry point: per-domain definitions merged with the resources."""

from __future__ import annotations

from dagster import Definitions

from hashira_assets.lake.definitions import defs as lake_defs
from hashira_assets.raw.definitions import defs as raw_defs
from hashira_assets.resources_by_env import build_resources
from jobs.definitions import defs as jobs_defs

DOMAIN_DEFS = (raw_defs, lake_defs, jobs_defs)


def build_definitions(env: str | None = None, **resource_kwargs) -> Definitions:
    """All assets, jobs and schedules, bound to the resources of one environment."""
    return Definitions.merge(
        *DOMAIN_DEFS, Definitions(resources=build_resources(env, **resource_kwargs))
    )


defs = build_definitions()
