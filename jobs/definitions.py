"""Jobs over the asset graph, selected by asset group rather than hand-kept lists."""

from dagster import AssetSelection, Definitions, define_asset_job

# Regenerate the world and land it in the lake.
land_raw_world = define_asset_job(
    "land_raw_world",
    selection=AssetSelection.groups("raw", "lake"),
    description="Generate the synthetic world and land every raw table in the data lake.",
)

defs = Definitions(jobs=[land_raw_world])
