"""The adapters the request-time services use, built once per HASHIRA_HOME."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from hashira_assets.lake.arrow_tables import MissingLakeTableError, read_lake_table
from hashira_serving.cache import cache, forever, home_key
from hashira_serving.errors import NotMaterializedError
from resources import settings
from resources.app_database import AppDatabaseResource
from resources.event_bus import EventBus, event_bus_from_env
from resources.lake import LakeResource
from resources.mlflow_tracking import MlflowTrackingResource
from resources.online_features import OnlineFeatureStore

_clients = forever(max_entries=32)


def app_db() -> AppDatabaseResource:
    """The app database (accounts, events, feedback, training logs)."""
    return _clients.get(("app_db", home_key()), AppDatabaseResource)


def event_bus() -> EventBus:
    """The event bus of this environment (Redis Streams when HASHIRA_REDIS_URL is set)."""
    return _clients.get(("bus", home_key()), event_bus_from_env)


def online_store() -> OnlineFeatureStore:
    """Shoppers' last views as the stream consumer applied them (the bus's own store)."""
    return _clients.get(("online", home_key()), lambda: event_bus().online_store())


def mlflow() -> MlflowTrackingResource:
    return _clients.get(("mlflow", home_key()), MlflowTrackingResource)


def lake() -> LakeResource:
    root = settings.default_lake_root()
    return _clients.get(("lake", home_key(), root), lambda: LakeResource(root=root))


_tables = cache(ttl=60.0, max_entries=64)


def published_table(
    zone: str,
    table: str,
    asset: str,
    columns: list[str] | None = None,
    date_range: tuple[dt.date, dt.date] | None = None,
) -> pa.Table:
    """A table the graph published to the lake (silver, gold, features or the landed raw zone),
    re-read after the data TTL; NotMaterializedError names the asset when it is missing."""
    key = (home_key(), zone, table, tuple(columns or ()), date_range)

    def load() -> pa.Table:
        try:
            return read_lake_table(lake(), zone, table, columns, date_range)
        except (MissingLakeTableError, FileNotFoundError) as exc:
            raise NotMaterializedError(
                f"The table `{zone}/{table}` is not materialized yet: run `make demo`, or "
                f"materialize `{asset}` in the Dagster UI.",
                asset=asset,
            ) from exc

    return _tables.get(key, load)
