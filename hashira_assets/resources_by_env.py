"""The resources each environment runs with, chosen in one place at definitions-build time."""

from __future__ import annotations

import os
from typing import Any

from dagster import EnvVar

from hashira_assets.raw.world_resource import SyntheticWorldResource
from resources import settings
from resources.app_database import AppDatabaseResource
from resources.event_bus import RedisEventBus, event_bus_from_env
from resources.lake import LakeResource
from resources.llm import LLMResource
from resources.mlflow_tracking import MlflowTrackingResource
from resources.online_features import RedisOnlineFeatureStore, online_store_from_env
from resources.spark import make_spark_resource
from resources.vector_index import VectorIndexResource


def world_resource(preset: str | None = None, seed: int = 42) -> SyntheticWorldResource:
    return SyntheticWorldResource(
        raw_dir=str(settings.raw_dir()), preset=preset or settings.default_preset(), seed=seed
    )


def local_resources(preset: str | None = None, seed: int = 42) -> dict[str, Any]:
    """Embedded defaults: everything under HASHIRA_HOME, no services."""
    return {
        "world": world_resource(preset, seed),
        "lake": LakeResource(root=settings.default_lake_root()),
        "pyspark": make_spark_resource(),
        # HASHIRA_APP_DB_URL, else SQLite under HASHIRA_HOME: the sensors read the app's events.
        "app_database": AppDatabaseResource(),
        # The app database table, or Redis Streams when HASHIRA_REDIS_URL is set.
        "event_bus": event_bus_from_env(),
        "online_features": online_store_from_env(),
        **assistant_local_resources(),
    }


def production_resources(preset: str | None = None, seed: int = 42) -> dict[str, Any]:
    """Production: the lake on HDFS or S3, named entirely by environment variables."""
    return {
        "world": world_resource(preset, seed),
        "lake": LakeResource(
            root=EnvVar("HASHIRA_LAKE_ROOT"),
            s3_endpoint_url=EnvVar("HASHIRA_S3_ENDPOINT_URL"),
        ),
        # HASHIRA_SPARK_MASTER names the cluster, e.g. spark://spark-master:7077.
        "pyspark": make_spark_resource(),
        "app_database": AppDatabaseResource(url=EnvVar("HASHIRA_APP_DB_URL")),
        "event_bus": RedisEventBus(
            url=EnvVar("HASHIRA_REDIS_URL"), app_db_url=EnvVar("HASHIRA_APP_DB_URL")
        ),
        "online_features": RedisOnlineFeatureStore(url=EnvVar("HASHIRA_REDIS_URL")),
        **assistant_production_resources(),
    }


def assistant_local_resources() -> dict[str, Any]:
    """AI assistant: LanceDB and MLflow (SQLite) under HASHIRA_HOME; Gemini when GOOGLE_API_KEY is
    set, else the bundled SmolLM2."""
    return {
        "vector_index": VectorIndexResource(),
        "mlflow_tracking": MlflowTrackingResource(),
        "llm": LLMResource(google_api_key=os.environ.get("GOOGLE_API_KEY") or None),
    }


def assistant_production_resources() -> dict[str, Any]:
    """AI assistant in production: LanceDB on S3, an MLflow server, Gemini; secrets via EnvVar."""
    return {
        "vector_index": VectorIndexResource(
            uri=EnvVar("HASHIRA_LANCEDB_URI"), s3_endpoint_url=EnvVar("HASHIRA_S3_ENDPOINT_URL")
        ),
        "mlflow_tracking": MlflowTrackingResource(tracking_uri=EnvVar("MLFLOW_TRACKING_URI")),
        "llm": LLMResource(google_api_key=EnvVar("GOOGLE_API_KEY")),
    }


RESOURCES_BY_ENV = {"local": local_resources, "production": production_resources}


def build_resources(env: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """Resources of the named environment (HASHIRA_ENV when None)."""
    return RESOURCES_BY_ENV[env or settings.get_env()](**kwargs)
