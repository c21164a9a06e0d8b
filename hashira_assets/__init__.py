"""HashiraMart's Dagster asset graph."""

import warnings

from dagster import BetaWarning, PreviewWarning

# Single-run backfill policies and a few other APIs we rely on are marked beta in Dagster 1.13.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)
