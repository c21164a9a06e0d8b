"""The `raw` group: the synthetic world, generated in one pass into chunked Parquet tables."""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from hashira_assets.metadata import markdown_preview
from hashira_assets.progress import ThrottledProgress
from hashira_assets.raw.generate import RAW_TABLES
from hashira_assets.raw.world_resource import SyntheticWorldResource

RAW_DESCRIPTIONS = {
    "customers": "Slayers who shop here: breathing style, rank, physique, region and signup date.",
    "products": "The weapon and accessory catalog with attributes, prices, stock and descriptions.",
    "product_faqs": "Three questions and answers per product, drawn from its attributes.",
    "shop_calendar": "Every day with its weekday and festival, 90 days past the data's end.",
    "promotions": "Weekly product promotions with their discounts, 90 days past the data's end.",
    "interaction_events": "Views, carts, purchases and returns, one folder per event date.",
    "battle_outcomes": "Whether each bought weapon won its next battle.",
    "support_conversations": "Customer/agent support dialogues with reference summaries.",
    "oracle_top_products": "True top-50 products per evaluated customer for the last 7 days.",
    "oracle_expected_demand": "True expected daily units per product for the last 28 days.",
}


@multi_asset(
    specs=[
        AssetSpec(name, group_name="raw", description=RAW_DESCRIPTIONS[name], kinds={"parquet"})
        for name in RAW_TABLES
    ],
    can_subset=False,
)
def synthetic_world(
    context: AssetExecutionContext, world: SyntheticWorldResource
) -> Iterator[MaterializeResult]:
    """Generate every raw table of the synthetic HashiraMart world from one seeded latent model."""
    config = world.world_config()
    context.log.info(
        f"generating the {config.preset!r} world (seed {config.seed}) into {world.path}"
    )
    result = world.generate(progress=ThrottledProgress(context.log.info, every_seconds=10))
    for name in RAW_TABLES:
        yield MaterializeResult(
            asset_key=name,
            metadata={
                "dagster/row_count": result.row_counts[name],
                "path": MetadataValue.path(str(result.out_dir / name)),
                "preset": config.preset,
                "seed": config.seed,
                "preview": markdown_preview(result.out_dir / name),
            },
        )
