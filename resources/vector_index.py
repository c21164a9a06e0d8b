"""The vector index as a resource: a LanceDB database (a local folder by default, S3 in production).

Usable outside Dagster too: the UI builds the same resource to answer shoppers' questions.
"""

from __future__ import annotations

from typing import Any

from dagster import ConfigurableResource
from pydantic import Field

from resources import settings


def default_lancedb_uri() -> str:
    """HASHIRA_LANCEDB_URI if set, else a folder under HASHIRA_HOME."""
    import os

    return os.environ.get("HASHIRA_LANCEDB_URI") or str(settings.hashira_home() / "lancedb")


class VectorIndexResource(ConfigurableResource):
    """A LanceDB database holding the product index table."""

    uri: str | None = Field(
        default=None,
        description="Any LanceDB URI (folder, s3://bucket/prefix); None means "
        "HASHIRA_LANCEDB_URI or $HASHIRA_HOME/lancedb.",
    )
    table_name: str = Field(default="product_index", description="Table of product documents.")
    s3_endpoint_url: str | None = Field(
        default=None, description="Endpoint of an S3-compatible store (MinIO) for s3:// URIs."
    )

    def resolved_uri(self) -> str:
        return self.uri or default_lancedb_uri()

    def storage_options(self) -> dict[str, str]:
        options: dict[str, str] = {}
        if self.s3_endpoint_url:
            options["endpoint"] = self.s3_endpoint_url
            options["allow_http"] = "true"
        return options

    def connect(self) -> Any:
        """A LanceDB connection (lancedb.DBConnection)."""
        import lancedb

        return lancedb.connect(self.resolved_uri(), storage_options=self.storage_options() or None)

    def open_table(self) -> Any | None:
        """The product table, or None when it has not been built yet."""
        db = self.connect()
        if self.table_name not in table_names(db):
            return None
        return db.open_table(self.table_name)


def table_names(db: Any) -> list[str]:
    """The names of a LanceDB connection's tables (lancedb's `table_names()` is deprecated)."""
    listed = db.list_tables()
    # lancedb >= 0.30 returns a paged response object; older versions a plain list.
    return list(getattr(listed, "tables", listed))
