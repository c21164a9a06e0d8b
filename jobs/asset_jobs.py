"""Jobs over the asset graph, selected by asset group rather than hand-kept lists."""

from dagster import AssetSelection, define_asset_job

# The groups each job covers; tests and docs read these instead of repeating them.
INGEST_GROUPS = ("silver", "gold", "features")
RETRAIN_GROUPS = ("recommender", "forecast", "assistant", "battle")
REINDEX_GROUPS = ("index",)
# Assets an ingest runs before silver: app sign-ups become customers, so their events pass silver.
INGEST_FIRST = ("app_customers", "lake_raw_customers")

# Regenerate the world and land it in the lake.
land_raw_world = define_asset_job(
    "land_raw_world",
    selection=AssetSelection.groups("raw", "lake"),
    description="Generate the synthetic world and land every raw table in the data lake.",
)

full_refresh = define_asset_job(
    "full_refresh",
    selection=AssetSelection.all(),
    description="Everything, from the generated world to the models and the product index; "
    "launch it over a range of days (one Spark run for the whole range).",
)

daily_ingest = define_asset_job(
    "daily_ingest",
    selection=AssetSelection.groups(*INGEST_GROUPS) | AssetSelection.assets(*INGEST_FIRST),
    description="Days of raw events in the lake through silver and gold, then the feature tables "
    "as of the last day.",
)

retrain = define_asset_job(
    "retrain",
    selection=AssetSelection.groups(*RETRAIN_GROUPS),
    description="Retrain the recommender, the forecaster, the summarizer and the battle-fit model; "
    "each becomes "
    "champion only through its gate, and only champions publish recommendations, forecasts and "
    "summaries.",
)

reindex = define_asset_job(
    "reindex",
    selection=AssetSelection.groups(*REINDEX_GROUPS),
    description="Bring the LanceDB product index in line with the catalog (changed products "
    "only are embedded again).",
)

# Summaries of conversations new to the raw world, with the current champion (no training).
summarize_conversations = define_asset_job(
    "summarize_conversations",
    selection=AssetSelection.assets("conversation_summaries"),
    description="Summarize the support conversations that have no summary yet.",
)

# Products staff added through the API, from the raw world through the lake to silver.
publish_catalog = define_asset_job(
    "publish_catalog",
    selection=AssetSelection.assets("lake_raw_products", "silver_products"),
    description="Land the raw products in the lake and publish them in silver.",
)

ASSET_JOBS = (
    land_raw_world,
    full_refresh,
    daily_ingest,
    retrain,
    reindex,
    summarize_conversations,
    publish_catalog,
)
