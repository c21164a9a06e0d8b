"""Definitions of the `raw` group."""

from dagster import Definitions

from hashira_assets.raw.app_customers import app_customers
from hashira_assets.raw.assets import synthetic_world

defs = Definitions(assets=[synthetic_world, app_customers])
