"""Definitions of the `features` group."""

from dagster import Definitions

from hashira_assets.features.assets import feature_tables

defs = Definitions(assets=[feature_tables])
