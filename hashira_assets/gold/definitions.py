"""Definitions of the `gold` group."""

from dagster import Definitions

from hashira_assets.gold.assets import gold_tables

defs = Definitions(assets=[gold_tables])
