"""The per-cut-off tables the recommender learns from, read from the lake's `features` zone.

The `features` group computes them in Spark (`hashira_assets/features/recommender_tables.py`)
for every cut-off a training uses: product activity, customers' histories per product, segment
popularity and co-visitation neighbours. That is the recommender's one feature pipeline; this
module only reads one cut-off's rows for `CutoffState` to index.
"""

from __future__ import annotations

import dataclasses
import posixpath

import pandas as pd

from hashira_assets.lake.arrow_tables import MissingLakeTableError, read_lake_table
from hashira_assets.raw.world_config import EVAL_DAYS
from resources.lake import LakeResource

ZONE = "features"
ITEM_ACTIVITY = "recommender_item_activity"
HISTORIES = "recommender_histories"
SEGMENTS = "recommender_segments"
CO_VISITATION = "recommender_co_visitation"
TABLE_NAMES = (ITEM_ACTIVITY, HISTORIES, SEGMENTS, CO_VISITATION)
# Each table has one folder per cut-off: `cutoff_day=<days since 1970-01-01>`.
CUTOFF_COLUMN = "cutoff_day"


class MissingCutoffError(LookupError):
    """The lake has no recommender tables for a cut-off a training needs."""


def training_cutoffs(end_day: int, train_weeks: int) -> list[int]:
    """The cut-offs of one training: the start of each of `train_weeks` weeks before the
    evaluation window, the window's start, and the day after the data (the serving state)."""
    eval_start = end_day - EVAL_DAYS + 1
    weeks = {eval_start - 7 * week for week in range(1, train_weeks + 1)}
    return sorted(weeks | {eval_start, end_day + 1})


@dataclasses.dataclass
class CutoffTables:
    """One cut-off's rows of the four tables, each computed from events before `cutoff_day`."""

    cutoff_day: int
    item_activity: pd.DataFrame
    histories: pd.DataFrame
    segments: pd.DataFrame
    co_visitation: pd.DataFrame


def cutoff_folder(table: str, cutoff_day: int) -> str:
    return posixpath.join(table, f"{CUTOFF_COLUMN}={cutoff_day}")


def read_cutoff_tables(lake: LakeResource, cutoff_day: int) -> CutoffTables:
    """One cut-off's four tables from the lake, or a MissingCutoffError that says what to run."""
    frames = {}
    for table in TABLE_NAMES:
        try:
            frames[table] = read_lake_table(lake, ZONE, cutoff_folder(table, cutoff_day))
        except MissingLakeTableError as missing:
            raise MissingCutoffError(
                f"no `{table}` rows for cut-off day {cutoff_day}: materialize the features "
                "group's recommender_* assets (step `recommender_cutoff_tables`) after the "
                "silver events, with at least as many train_weeks as the recommender"
            ) from missing
    return CutoffTables(
        cutoff_day,
        item_activity=frames[ITEM_ACTIVITY].to_pandas(),
        histories=frames[HISTORIES].to_pandas(),
        segments=frames[SEGMENTS].to_pandas(),
        co_visitation=frames[CO_VISITATION].to_pandas(),
    )
