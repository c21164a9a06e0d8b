"""The `lake` group: each raw table landed in the data lake's raw zone."""

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
)

from hashira_assets.lake.landing import land_table
from hashira_assets.priorities import SHOP_FIRST
from hashira_assets.raw.generate import RAW_TABLES
from hashira_assets.raw.world_resource import SyntheticWorldResource
from resources.lake import LakeResource


def lake_raw_asset(table: str) -> AssetsDefinition:
    """The asset that lands one raw table in the lake (unchanged files are skipped)."""

    @asset(
        name=f"lake_raw_{table}",
        # App sign-ups are written beside the generated customers before they are landed.
        deps=[table, "app_customers"] if table == "customers" else [table],
        group_name="lake",
        kinds={"parquet"},
        op_tags=SHOP_FIRST,
        description=f"The raw `{table}` table landed in the data lake's raw zone.",
    )
    def _lake_raw_table(
        context: AssetExecutionContext, lake: LakeResource, world: SyntheticWorldResource
    ) -> MaterializeResult:
        """The raw table's files in the lake, with rows, bytes, URI and a content checksum."""
        report = land_table(lake, world.path, table)
        context.log.info(
            f"{table}: {report.files_written} files written, {report.files_skipped} unchanged, "
            f"{report.files_deleted} deleted at {report.uri}"
        )
        return MaterializeResult(
            metadata={
                "dagster/row_count": report.rows,
                "bytes": report.bytes,
                "uri": MetadataValue.url(report.uri)
                if "://" in report.uri
                else MetadataValue.path(report.uri),
                "checksum": report.checksum,
                "files_written": report.files_written,
                "files_skipped": report.files_skipped,
                "files_deleted": report.files_deleted,
                "partitions": report.partitions,
            },
            data_version=DataVersion(report.checksum),
        )

    return _lake_raw_table


LAKE_RAW_ASSETS = [lake_raw_asset(table) for table in RAW_TABLES]
