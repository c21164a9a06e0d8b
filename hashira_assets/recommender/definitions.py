"""Definitions of the `recommender` group."""

from dagster import Definitions

from hashira_assets.recommender.assets import (
    recommender_model,
    twelve_distinct_products_per_customer,
    user_recommendations,
)

defs = Definitions(
    assets=[recommender_model, user_recommendations],
    asset_checks=[twelve_distinct_products_per_customer],
)
