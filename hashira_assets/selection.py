"""Which assets and partitions a run covers: Dagster selections and whole-world date ranges."""

from __future__ import annotations


def partition_range_tags(config) -> dict[str, str]:
    """Run tags that cover every day of the world in one run (daily assets backfill as one)."""
    return {
        "dagster/asset_partition_range_start": config.start_date.isoformat(),
        "dagster/asset_partition_range_end": config.end_date.isoformat(),
    }


def resolve_selection(select: str, assets: list) -> list:
    """Asset keys a Dagster selection string picks; the raw tables come all or none, because the
    world is generated in one pass."""
    import dagster as dg

    from hashira_assets.raw.generate import RAW_TABLES

    keys = set(dg.AssetSelection.from_string(select).resolve(assets))
    raw_keys = {dg.AssetKey(name) for name in RAW_TABLES}
    if keys & raw_keys:
        keys |= raw_keys
    return sorted(keys, key=lambda k: k.to_user_string())
