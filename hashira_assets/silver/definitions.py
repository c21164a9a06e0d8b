"""Definitions of the `silver` group."""

from dagster import Definitions

from hashira_assets.silver.assets import silver_customers, silver_events, silver_products

defs = Definitions(assets=[silver_customers, silver_products, silver_events])
