"""Definitions of the `forecast` group."""

from dagster import Definitions

from hashira_assets.forecast.assets import (
    forecaster_model,
    forecasts_are_coherent,
    sales_forecasts,
)

defs = Definitions(
    assets=[forecaster_model, sales_forecasts],
    asset_checks=[forecasts_are_coherent],
)
