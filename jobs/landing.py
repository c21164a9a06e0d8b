"""Landing what the live shop records beside the generated data, so the same layers process both.

App events go to the lake's raw zone as `interaction_events/event_date=D/app-<first>-<last>.parquet`
(the generator's event schema), support conversations to the raw world's `support_conversations/`
folder as `app-<first>-<last>.parquet` (the generator's conversation schema).

Both landings are idempotent and lose nothing when they stop midway. A landing takes the records
above a watermark (the last id landed); before writing a folder's file it deletes that folder's app
files that start above the watermark, which only a landing that stopped before advancing the
watermark can have left. Every record above the watermark is written again, and a record's folder
never changes (it follows from its own date), so each record ends up in exactly one file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import posixpath
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hashira_assets.lake.landing import RAW_ZONE
from hashira_assets.raw.simulator import EVENT_SCHEMA
from hashira_assets.raw.support_chats import SUPPORT_SCHEMA
from resources.app_database import AppDatabaseResource
from resources.lake import LakeResource

EVENTS_TABLE = "interaction_events"
CONVERSATIONS_TABLE = "support_conversations"
APP_FILE = re.compile(r"^app-(\d+)-(\d+)\.parquet$")
# Conversations from the app are neither training (A) nor held-out (B) phrasing.
APP_PHRASING = "app"


@dataclasses.dataclass(frozen=True)
class EventThresholds:
    """When pending app events are worth a landing: enough of them, or the oldest has waited."""

    min_events: int = 200
    max_age: dt.timedelta = dt.timedelta(hours=1)
    # Bounds one landing (and one sensor tick), e.g. after the watermark was reset.
    max_batch: int = 50_000

    @classmethod
    def from_env(cls) -> EventThresholds:
        """The defaults, overridden by HASHIRA_EVENTS_MIN_COUNT, _MAX_AGE_MINUTES, _MAX_BATCH."""
        default = cls()
        minutes = os.environ.get("HASHIRA_EVENTS_MAX_AGE_MINUTES")
        return cls(
            # `or`: a variable set but empty (as in a copied .env.example) means the default.
            min_events=int(os.environ.get("HASHIRA_EVENTS_MIN_COUNT") or default.min_events),
            max_age=dt.timedelta(minutes=float(minutes)) if minutes else default.max_age,
            max_batch=int(os.environ.get("HASHIRA_EVENTS_MAX_BATCH") or default.max_batch),
        )


@dataclasses.dataclass(frozen=True)
class Landing:
    """What one landing wrote."""

    first_id: int
    last_id: int
    rows: int
    keys: tuple[str, ...]
    dates: tuple[dt.date, ...] = ()
    reason: str = ""


def parse_event_ts(text: str) -> dt.datetime | None:
    """An event timestamp as UTC, or None when it is not ISO-8601 (silver quarantines those)."""
    try:
        parsed = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def landing_reason(events: pd.DataFrame, now: dt.datetime, thresholds: EventThresholds) -> str:
    """Why the pending events should land now, or "" when they can wait."""
    if events.empty:
        return ""
    if len(events) >= thresholds.min_events:
        return f"{len(events)} new events (threshold {thresholds.min_events})"
    times = [t for t in map(parse_event_ts, events["event_ts"]) if t is not None]
    # An unreadable timestamp cannot say how long its event has waited: land it rather than
    # hold it back forever.
    oldest = min(times) if len(times) == len(events) else None
    if oldest is None or now - oldest >= thresholds.max_age:
        age = "unknown" if oldest is None else f"{(now - oldest).total_seconds() / 60:.0f} min"
        return f"{len(events)} new events, the oldest waiting {age} (max {thresholds.max_age})"
    return ""


def event_dates(events: pd.DataFrame, today: dt.date) -> list[dt.date]:
    """Each event's date folder: its timestamp's day, or `today` when that is unreadable."""
    # Silver then quarantines the unreadable one as unparseable: nothing goes missing silently.
    return [t.date() if t else today for t in map(parse_event_ts, events["event_ts"])]


def app_file_ids(name: str) -> tuple[int, int] | None:
    match = APP_FILE.match(name)
    return (int(match.group(1)), int(match.group(2))) if match else None


def app_file_name(ids: pa.Array) -> str:
    return f"app-{pc.min(ids).as_py()}-{pc.max(ids).as_py()}.parquet"


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def land_app_events(
    app_database: AppDatabaseResource,
    lake: LakeResource,
    after_event_id: int,
    now: dt.datetime,
    thresholds: EventThresholds | None = None,
) -> Landing | None:
    """Land the app events above the watermark when they are due; None when they can wait."""
    thresholds = thresholds or EventThresholds()
    pending = app_database.events_after(after_event_id, limit=thresholds.max_batch)
    reason = landing_reason(pending, now, thresholds)
    if not reason:
        return None
    return write_event_files(lake, pending, after_event_id, now.date(), reason)


def write_event_files(
    lake: LakeResource,
    events: pd.DataFrame,
    after_event_id: int,
    today: dt.date,
    reason: str = "",
) -> Landing:
    """One Parquet file per event date, replacing leftovers of an interrupted landing."""
    table = pa.Table.from_pandas(
        events[EVENT_SCHEMA.names], schema=EVENT_SCHEMA, preserve_index=False
    )
    dates = pa.array(event_dates(events, today), pa.date32())
    keys = []
    for day in sorted(set(dates.to_pylist())):
        folder = posixpath.join(RAW_ZONE, EVENTS_TABLE, f"event_date={day.isoformat()}")
        for key in lake.list_keys(folder):
            ids = app_file_ids(posixpath.basename(key))
            if ids and ids[0] > after_event_id:
                lake.delete(key)
        rows = table.filter(pc.equal(dates, pa.scalar(day, pa.date32())))
        key = posixpath.join(folder, app_file_name(rows["event_id"]))
        lake.write_bytes(key, _parquet_bytes(rows))
        keys.append(key)
    return Landing(
        first_id=int(pc.min(table["event_id"]).as_py()),
        last_id=int(pc.max(table["event_id"]).as_py()),
        rows=table.num_rows,
        keys=tuple(keys),
        dates=tuple(sorted(set(dates.to_pylist()))),
        reason=reason,
    )


def landed_conversation_watermark(raw_dir: Path) -> int:
    """The last app conversation id landed in the raw world (0 when none)."""
    # Read from the landed files, not kept apart: regenerating the world replaces its folder,
    # and the app's conversations are then landed again into the new one.
    folder = Path(raw_dir) / CONVERSATIONS_TABLE
    ids = [app_file_ids(p.name) for p in folder.glob("app-*.parquet")] if folder.is_dir() else []
    return max((last for _, last in filter(None, ids)), default=0)


def conversation_rows(conversations: pd.DataFrame) -> pa.Table:
    """App conversations in the generator's schema, without what only the generator knows."""
    # Category, resolution, sentiment and the reference summary come from the latent world.
    turns = [list(t) for t in conversations["turns"]]
    return pa.table(
        {
            "conversation_id": conversations["conversation_id"].tolist(),
            "customer_id": conversations["customer_id"].tolist(),
            "product_id": [None if pd.isna(p) else int(p) for p in conversations["product_id"]],
            "agent_id": [None] * len(turns),
            "started_at": conversations["started_at"].tolist(),
            "issue_category": [None] * len(turns),
            "issue_categories": [None] * len(turns),
            "resolution_type": [None] * len(turns),
            "resolved": [None] * len(turns),
            "sentiment": [None] * len(turns),
            "phrasing_set": [APP_PHRASING] * len(turns),
            "eval_split": [APP_PHRASING] * len(turns),
            "turns": turns,
            # The same transcript layout the generator writes, which the summarizers read.
            "transcript": [
                "\n".join(f"{t['speaker'].title()}: {t['text']}" for t in turn) for turn in turns
            ],
            "reference_summary": [None] * len(turns),
        },
        schema=SUPPORT_SCHEMA,
    )


def land_app_conversations(
    app_database: AppDatabaseResource, raw_dir: Path, limit: int = 10_000
) -> Landing | None:
    """Land the app's conversations newer than the raw world's in one file; None if none."""
    watermark = landed_conversation_watermark(raw_dir)
    pending = app_database.support_conversations_after(watermark, limit=limit)
    if pending.empty:
        return None
    table = conversation_rows(pending)
    folder = Path(raw_dir) / CONVERSATIONS_TABLE
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(".app-*.tmp"):  # left by a landing that stopped mid-write
        stale.unlink()
    target = folder / app_file_name(table["conversation_id"])
    # A dot-file is invisible to readers of the folder until the rename makes it whole.
    tmp = folder / f".{target.name}.tmp"
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(target)
    return Landing(
        first_id=int(pending["conversation_id"].iloc[0]),
        last_id=int(pending["conversation_id"].iloc[-1]),
        rows=table.num_rows,
        keys=(str(target),),
    )
