"""Portraits kept on shoppers' profiles, in the app database."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from resources.app_database import AppDatabaseResource, now_utc
from resources.app_tables import portraits

# A profile keeps its latest portraits; older ones are dropped when a new one is saved.
KEPT_PER_PROFILE = 12


@dataclasses.dataclass(frozen=True)
class SavedPortrait:
    portrait_id: int
    username: str
    breathing_style: str
    weapon_type: str
    generator: str
    note: str | None
    image_png: bytes
    created_at: dt.datetime


def save_portrait(
    db: AppDatabaseResource,
    username: str,
    image_png: bytes,
    breathing_style: str,
    weapon_type: str,
    generator: str,
    note: str | None = None,
) -> int:
    """Keep a portrait on a profile; returns its id. Only the latest KEPT_PER_PROFILE stay."""
    if not image_png.startswith(b"\x89PNG"):
        raise ValueError("a portrait must be a PNG image")
    row = {
        "username": username,
        "breathing_style": breathing_style,
        "weapon_type": weapon_type,
        "generator": generator,
        "note": note,
        "image_png": image_png,
        "created_at": now_utc(),
    }
    with db.engine().begin() as conn:
        key = int(conn.execute(portraits.insert().values(**row)).inserted_primary_key[0])
        keep = (
            sa.select(portraits.c.id)
            .where(portraits.c.username == username)
            .order_by(portraits.c.id.desc())
            .limit(KEPT_PER_PROFILE)
        )
        conn.execute(
            portraits.delete().where(
                portraits.c.username == username, portraits.c.id.not_in(keep.scalar_subquery())
            )
        )
    return key


def portraits_of(
    db: AppDatabaseResource, username: str, limit: int = KEPT_PER_PROFILE
) -> list[SavedPortrait]:
    """A profile's portraits, newest first."""
    query = (
        sa.select(portraits)
        .where(portraits.c.username == username)
        .order_by(portraits.c.id.desc())
        .limit(limit)
    )
    with db.engine().connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        SavedPortrait(
            portrait_id=int(r["id"]),
            username=r["username"],
            breathing_style=r["breathing_style"],
            weapon_type=r["weapon_type"],
            generator=r["generator"],
            note=r["note"],
            image_png=bytes(r["image_png"]),
            created_at=r["created_at"],
        )
        for r in rows
    ]
