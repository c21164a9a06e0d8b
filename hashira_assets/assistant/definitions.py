"""Definitions of the `assistant` group."""

from dagster import Definitions

from hashira_assets.assistant.assets import (
    conversation_summaries,
    every_conversation_summarized,
    summarizer_model,
)

defs = Definitions(
    assets=[summarizer_model, conversation_summaries],
    asset_checks=[every_conversation_summarized],
)
