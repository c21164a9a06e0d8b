"""The resources each environment runs with, chosen in one place at definitions-build time."""

from __future__ import annotations

from typing import Any

from dagster import EnvVar

from hashira_assets import settings
from resources.lake import LakeResource
from resources.world import SyntheticWorldResource


def world_resource(preset: str | None = None, seed: int = 42) -> SyntheticWorldResource:
    return SyntheticWorldResource(
        raw_dir=str(settings.raw_dir()), preset=preset or settings.default_preset(), seed=seed
    )


def local_resources(preset: str | None = None, seed: int = 42) -> dict[str, Any]:
    """Embedded defaults: everything under HASHIRA_HOME, no services."""
    return {
        "world": world_resource(preset, seed),
        "lake": LakeResource(root=settings.default_lake_root()),
    }


def production_resources(preset: str | None = None, seed: int = 42) -> dict[str, Any]:
    """Production: the lake on HDFS or S3, named entirely by environment variables."""
    return {
        "world": world_resource(preset, seed),
        "lake": LakeResource(
            root=EnvVar("HASHIRA_LAKE_ROOT"),
            s3_endpoint_url=EnvVar("HASHIRA_S3_ENDPOINT_URL"),
        ),
    }


RESOURCES_BY_ENV = {"local": local_resources, "production": production_resources}


def build_resources(env: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """Resources of the named environment (HASHIRA_ENV when None)."""
    return RESOURCES_BY_ENV[env or settings.get_env()](**kwargs)
