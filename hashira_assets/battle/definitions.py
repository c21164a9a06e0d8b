"""Definitions of the `battle` group."""

from dagster import Definitions

from hashira_assets.battle.assets import battle_fit_model

defs = Definitions(assets=[battle_fit_model])
