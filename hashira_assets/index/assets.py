"""The `index` group: the LanceDB product index that product search and chat read."""

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from hashira_assets.index.documents import load_product_documents
from hashira_assets.index.search import ProductSearch
from hashira_assets.index.store import sync_product_index
from hashira_assets.progress import ThrottledProgress
from hashira_assets.raw.world_resource import SyntheticWorldResource
from resources.vector_index import VectorIndexResource


@asset(
    deps=["products", "product_faqs"],
    group_name="index",
    kinds={"lancedb"},
)
def product_index(
    context: AssetExecutionContext, world: SyntheticWorldResource, vector_index: VectorIndexResource
) -> MaterializeResult:
    """LanceDB table of every product's description, attributes and FAQ with MiniLM vectors and a
    full-text index."""
    documents = load_product_documents(world.path)
    context.log.info(f"product_index: {documents.num_rows:,} product documents")
    report = sync_product_index(
        vector_index.connect(),
        vector_index.table_name,
        documents,
        progress=ThrottledProgress(context.log.info, every_seconds=10),
    )
    context.log.info(
        f"product_index: {report.embedded} embedded, {report.unchanged} unchanged, "
        f"{report.deleted} deleted"
    )
    return MaterializeResult(
        metadata={
            "dagster/row_count": report.rows,
            "embedded": report.embedded,
            "unchanged": report.unchanged,
            "deleted": report.deleted,
            "uri": MetadataValue.text(vector_index.resolved_uri()),
            "table": vector_index.table_name,
        }
    )


@asset_check(asset=product_index, blocking=True)
def product_index_matches_catalog(
    world: SyntheticWorldResource, vector_index: VectorIndexResource
) -> AssetCheckResult:
    """Every catalog product is indexed exactly once and each finds itself by its own name."""
    documents = load_product_documents(world.path)
    table = vector_index.open_table()
    if table is None:
        return AssetCheckResult(passed=False, metadata={"reason": "table missing"})
    indexed = table.search().select(["product_id"]).limit(None).to_arrow()["product_id"]
    ids = indexed.to_pylist()
    expected = set(documents["product_id"].to_pylist())
    search = ProductSearch(table)
    sample = documents.slice(0, 20).to_pylist()
    self_found = sum(
        1 for r in sample if any(h.product_id == r["product_id"] for h in search.fts(r["name"], 5))
    )
    passed = len(ids) == len(set(ids)) and set(ids) == expected and self_found == len(sample)
    return AssetCheckResult(
        passed=passed,
        metadata={
            "indexed": len(ids),
            "catalog": len(expected),
            "name_self_hits": f"{self_found}/{len(sample)}",
        },
    )
