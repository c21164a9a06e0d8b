"""Reading the lake's silver events part by part: day order, compact columns, the empty case."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hashira_assets.lake.arrow_tables import (
    MissingLakeTableError,
    iter_lake_table,
    read_lake_table,
)
from hashira_assets.recommender.data import EVENT_TYPES, load_events
from resources.lake import LakeResource

DAYS = [dt.date(2026, 3, 2), dt.date(2026, 2, 27), dt.date(2026, 3, 1)]


def _write_day(root, day: dt.date, rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    folder = root / "silver" / "interaction_events" / f"event_date={day.isoformat()}"
    folder.mkdir(parents=True)
    table = pa.table(
        {
            "customer_id": pa.array(rng.integers(1, 50, rows), pa.int32()),
            "product_id": pa.array(rng.integers(1, 30, rows), pa.int32()),
            "event_type": pa.array(rng.choice(EVENT_TYPES, rows)),
            "session_id": pa.array(rng.integers(1, 10**9, rows), pa.int64()),
        }
    )
    pq.write_table(table, folder / "part-00000.parquet")


@pytest.fixture
def lake(tmp_path):
    # Written out of date order: the reader must not depend on the order files were made.
    for seed, day in enumerate(DAYS):
        _write_day(tmp_path, day, rows=40 + seed, seed=seed)
    return LakeResource(root=str(tmp_path))


def test_daily_parts_come_in_date_order_with_their_date(lake):
    dates = [part["event_date"].unique().to_pylist() for part in iter_lake_table(
        lake, "silver", "interaction_events", ["customer_id", "event_date"]
    )]  # fmt: skip
    assert dates == [[d] for d in sorted(DAYS)]


def test_events_load_as_compact_day_ordered_columns_equal_to_the_whole_table(lake):
    events = load_events(lake)
    whole = read_lake_table(lake, "silver", "interaction_events").to_pandas()
    assert len(events) == len(whole) == 40 + 41 + 42
    assert dict(events.dtypes.astype(str)) == {
        "customer_id": "int32", "product_id": "int32", "event_type": "int8", "day": "int32",
        "session_id": "int64",
    }  # fmt: skip
    assert (np.diff(events["day"].to_numpy()) >= 0).all()
    codes = {name: code for code, name in enumerate(EVENT_TYPES)}
    np.testing.assert_array_equal(events["event_type"], whole["event_type"].map(codes))
    np.testing.assert_array_equal(events["session_id"], whole["session_id"])
    first_day = (min(DAYS) - dt.date(1970, 1, 1)).days
    assert events["day"].iloc[0] == first_day


def test_a_missing_events_table_says_which_asset_to_materialize(tmp_path):
    with pytest.raises(MissingLakeTableError, match="interaction_events"):
        load_events(LakeResource(root=str(tmp_path)))
