"""Definitions of the `features` group."""

from dagster import Definitions

from hashira_assets.features.assets import feature_tables, recommender_cutoff_tables

defs = Definitions(assets=[feature_tables, recommender_cutoff_tables])
