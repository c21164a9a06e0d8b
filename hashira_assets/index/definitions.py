"""Definitions of the `index` group."""

from dagster import Definitions

from hashira_assets.index.assets import product_index, product_index_matches_catalog

defs = Definitions(assets=[product_index], asset_checks=[product_index_matches_catalog])
