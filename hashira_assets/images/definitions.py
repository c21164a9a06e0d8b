"""Definitions of the `images` group."""

from dagster import Definitions

from hashira_assets.images.assets import product_images, slayer_image_model

defs = Definitions(assets=[product_images, slayer_image_model])
