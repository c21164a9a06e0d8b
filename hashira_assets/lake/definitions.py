"""Definitions of the `lake` group."""

from dagster import Definitions

from hashira_assets.lake.assets import LAKE_RAW_ASSETS

defs = Definitions(assets=LAKE_RAW_ASSETS)
