"""The app database: accounts, the shop's own event store, chat feedback and training logs.

SQLite under HASHIRA_HOME by default; any SQLAlchemy URL (PostgreSQL in production) through
HASHIRA_APP_DB_URL. Usable outside Dagster: the Streamlit app and the sensors build the same
resource.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from dagster import ConfigurableResource
from pydantic import Field

from resources import settings
from resources.app_tables import (
    APP_CONVERSATION_ID_BASE,
    APP_CUSTOMER_ID_BASE,
    APP_EVENT_ID_BASE,
    CONVERSATIONS_LOCK,
    EVENTS_LOCK,
    ROLES,
    SHOP_EVENT_TYPES,
    SPEAKERS,
    accounts,
    app_events,
    chat_feedback,
    commit_in_id_order,
    metadata,
    pipeline_failures,
    support_conversations,
    training_logs,
)


class AccountError(ValueError):
    """A sign-up or account change that cannot be made (duplicate name, bad role, ...)."""


@dataclass(frozen=True)
class Account:
    """A signed-in user as the app sees it (never carries the password hash)."""

    username: str
    role: str
    customer_id: int | None
    display_name: str
    profile: dict | None


def default_app_db_url() -> str:
    """HASHIRA_APP_DB_URL if set, else a SQLite file under HASHIRA_HOME."""
    return os.environ.get("HASHIRA_APP_DB_URL") or (
        f"sqlite:///{settings.hashira_home() / 'app' / 'app.db'}"
    )


@functools.cache
def _engine(url: str) -> sa.Engine:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    engine = sa.create_engine(url, pool_pre_ping=True)
    metadata.create_all(engine)
    return engine


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AppDatabaseResource(ConfigurableResource):
    """Accounts, the app's event store, chat feedback and training logs in one SQL database."""

    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; None means HASHIRA_APP_DB_URL or $HASHIRA_HOME/app/app.db.",
    )

    def resolved_url(self) -> str:
        return self.url or default_app_db_url()

    def engine(self) -> sa.Engine:
        """The (cached) engine; tables are created on first use."""
        return _engine(self.resolved_url())

    # Accounts ------------------------------------------------------------------------------

    def create_account(
        self,
        username: str,
        password_hash: str,
        role: str,
        *,
        customer_id: int | None = None,
        display_name: str | None = None,
        profile: dict | None = None,
    ) -> Account:
        """Store a new account; the caller hashes the password (see hashira_serving.accounts)."""
        username = username.strip()
        if not username or len(username) > 64:
            raise AccountError("A username needs 1 to 64 characters.")
        if role not in ROLES:
            raise AccountError(f"Role must be one of {', '.join(ROLES)}, got {role!r}.")
        if role == "shopper" and customer_id is None:
            customer_id = self.next_app_customer_id()
        row = {
            "username": username,
            "password_hash": password_hash,
            "role": role,
            "customer_id": customer_id,
            "display_name": display_name or username,
            "profile_json": json.dumps(profile) if profile else None,
            "created_at": now_utc(),
        }
        with self.engine().begin() as conn:
            if conn.execute(sa.select(accounts.c.username).filter_by(username=username)).first():
                raise AccountError(f"The username {username!r} is taken.")
            conn.execute(accounts.insert().values(**row))
        return _account(row)

    def account_with_hash(self, username: str) -> tuple[Account, str] | None:
        """The account and its stored password hash, or None for an unknown name."""
        with self.engine().connect() as conn:
            row = (
                conn.execute(sa.select(accounts).filter_by(username=username.strip()))
                .mappings()
                .first()
            )
        return None if row is None else (_account(dict(row)), row["password_hash"])

    def set_password_hash(self, username: str, password_hash: str) -> None:
        """Replace a stored hash (used when the hasher's parameters have been raised)."""
        with self.engine().begin() as conn:
            conn.execute(
                accounts.update().filter_by(username=username).values(password_hash=password_hash)
            )

    def set_profile(self, username: str, profile: dict) -> None:
        """Store a shopper's onboarding answers."""
        with self.engine().begin() as conn:
            conn.execute(
                accounts.update()
                .filter_by(username=username)
                .values(profile_json=json.dumps(profile))
            )

    def next_app_customer_id(self) -> int:
        """The next free customer id in the range reserved for app sign-ups."""
        with self.engine().connect() as conn:
            top = conn.execute(
                sa.select(sa.func.max(accounts.c.customer_id)).where(
                    accounts.c.customer_id >= APP_CUSTOMER_ID_BASE
                )
            ).scalar()
        return APP_CUSTOMER_ID_BASE if top is None else int(top) + 1

    # Events --------------------------------------------------------------------------------

    def log_events(self, events: Iterable[dict]) -> list[int]:
        """Append shop events (the generator's event columns, event_id excepted); their ids."""
        return [row["event_id"] for row in self.record_events(events)]

    def record_events(self, events: Iterable[dict]) -> list[dict]:
        """Append shop events; the stored rows with their event_id, as the lake will see them."""
        rows = [event_row(event) for event in events]
        if not rows:
            return []
        # One multi-row INSERT ... RETURNING (in parameter order) instead of a round trip per row.
        insert = app_events.insert().returning(app_events.c.id, sort_by_parameter_order=True)
        with self.engine().begin() as conn:
            commit_in_id_order(conn, EVENTS_LOCK)
            ids = conn.execute(insert, rows).scalars().all()
        return [
            {"event_id": APP_EVENT_ID_BASE + int(i), **row}
            for i, row in zip(ids, rows, strict=True)
        ]

    def events_after(self, event_id: int = 0, limit: int | None = None) -> pd.DataFrame:
        """Events with an id above event_id, oldest first, in the generator's raw event schema."""
        query = (
            sa.select(app_events)
            .where(app_events.c.id > max(event_id - APP_EVENT_ID_BASE, 0))
            .order_by(app_events.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.engine().connect() as conn:
            frame = pd.read_sql(query, conn)
        frame["event_id"] = frame.pop("id").astype("int64") + APP_EVENT_ID_BASE
        return frame[EVENT_COLUMNS]

    def events_of_customer(self, customer_id: int) -> pd.DataFrame:
        """One customer's app events, oldest first."""
        query = (
            sa.select(app_events)
            .where(app_events.c.customer_id == int(customer_id))
            .order_by(app_events.c.id)
        )
        with self.engine().connect() as conn:
            frame = pd.read_sql(query, conn)
        frame["event_id"] = frame.pop("id").astype("int64") + APP_EVENT_ID_BASE
        return frame[EVENT_COLUMNS]

    # Chat feedback and training ------------------------------------------------------------

    def record_chat_feedback(
        self,
        *,
        conversation_id: str,
        username: str,
        persona: str,
        turn: int,
        question: str,
        answer: str,
        cited_product_ids: Sequence[int],
        rating: int,
    ) -> None:
        """Store a thumbs up (+1) or down (-1) for one answer, replacing an earlier vote on it."""
        if rating not in (-1, 1):
            raise ValueError("A rating is +1 (thumbs up) or -1 (thumbs down).")
        key = {"conversation_id": conversation_id, "turn": turn}
        with self.engine().begin() as conn:
            conn.execute(chat_feedback.delete().filter_by(**key))
            conn.execute(
                chat_feedback.insert().values(
                    **key,
                    username=username,
                    persona=persona,
                    question=question,
                    answer=answer,
                    cited_product_ids=json.dumps([int(p) for p in cited_product_ids]),
                    rating=rating,
                    created_at=now_utc(),
                )
            )

    def chat_feedback_frame(self) -> pd.DataFrame:
        """Every stored chat vote with its conversation turn."""
        with self.engine().connect() as conn:
            return pd.read_sql(sa.select(chat_feedback).order_by(chat_feedback.c.id), conn)

    def log_training(self, customer_id: int, minutes: int, logged_on: dt.date) -> None:
        """Record a training session of a shopper (Dojo points: +1 per 10 minutes)."""
        if not 1 <= minutes <= 24 * 60:
            raise ValueError("Training minutes must be between 1 and 1440.")
        with self.engine().begin() as conn:
            conn.execute(
                training_logs.insert().values(
                    customer_id=int(customer_id), minutes=int(minutes), logged_on=logged_on
                )
            )

    def training_of_customer(self, customer_id: int) -> pd.DataFrame:
        """A shopper's logged training sessions."""
        query = sa.select(training_logs.c.minutes, training_logs.c.logged_on).where(
            training_logs.c.customer_id == int(customer_id)
        )
        with self.engine().connect() as conn:
            return pd.read_sql(query, conn)

    # Support conversations ------------------------------------------------------------------

    def add_support_conversation(
        self,
        customer_id: int,
        turns: Sequence[tuple[str, str]],
        *,
        product_id: int | None = None,
        started_at: dt.datetime | None = None,
    ) -> int:
        """Store a customer/agent dialogue given as (speaker, text) turns; its conversation id."""
        cleaned = [(str(speaker), str(text).strip()) for speaker, text in turns]
        if not cleaned or any(not text for _, text in cleaned):
            raise ValueError("A conversation needs at least one turn, and no turn may be empty.")
        unknown = {speaker for speaker, _ in cleaned} - set(SPEAKERS)
        if unknown:
            raise ValueError(f"Speakers must be one of {SPEAKERS}, got {sorted(unknown)}.")
        row = {
            "customer_id": int(customer_id),
            "product_id": None if product_id is None else int(product_id),
            "started_at": started_at or now_utc(),
            "turns_json": json.dumps([{"speaker": s, "text": t} for s, t in cleaned]),
        }
        with self.engine().begin() as conn:
            commit_in_id_order(conn, CONVERSATIONS_LOCK)
            key = conn.execute(support_conversations.insert().values(**row)).inserted_primary_key
        return APP_CONVERSATION_ID_BASE + int(key[0])

    def support_conversations_after(
        self, conversation_id: int = 0, limit: int | None = None
    ) -> pd.DataFrame:
        """Conversations with an id above conversation_id, oldest first: ids, started_at (UTC,
        naive) and turns as a list of {speaker, text}."""
        query = (
            sa.select(support_conversations)
            .where(support_conversations.c.id > max(conversation_id - APP_CONVERSATION_ID_BASE, 0))
            .order_by(support_conversations.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.engine().connect() as conn:
            frame = pd.read_sql(query, conn)
        frame["conversation_id"] = frame.pop("id").astype("int64") + APP_CONVERSATION_ID_BASE
        frame["started_at"] = pd.to_datetime(frame["started_at"], utc=True).dt.tz_localize(None)
        frame["turns"] = [json.loads(t) for t in frame.pop("turns_json")]
        return frame[["conversation_id", "customer_id", "product_id", "started_at", "turns"]]

    # Pipeline failures ----------------------------------------------------------------------

    def record_pipeline_failure(
        self,
        *,
        run_id: str,
        job_name: str,
        failed_at: dt.datetime,
        message: str,
        failed_steps: Sequence[str] = (),
        partition: str | None = None,
    ) -> bool:
        """Store one failed run; False when that run is already recorded (sensors may retry)."""
        with self.engine().begin() as conn:
            known = conn.execute(
                sa.select(pipeline_failures.c.run_id).filter_by(run_id=run_id)
            ).first()
            if known:
                return False
            conn.execute(
                pipeline_failures.insert().values(
                    run_id=run_id,
                    job_name=job_name,
                    failed_at=failed_at,
                    partition=partition,
                    failed_steps=", ".join(failed_steps),
                    message=message,
                )
            )
        return True

    def pipeline_failures(self, limit: int = 50) -> pd.DataFrame:
        """The most recent failed runs, newest first (what the Models & pipeline page shows)."""
        query = (
            sa.select(pipeline_failures)
            .order_by(pipeline_failures.c.failed_at.desc(), pipeline_failures.c.run_id)
            .limit(limit)
        )
        with self.engine().connect() as conn:
            return pd.read_sql(query, conn)


EVENT_COLUMNS = [
    "event_id",
    "session_id",
    "customer_id",
    "product_id",
    "event_type",
    "event_ts",
    "price",
    "quantity",
]


def event_row(event: dict) -> dict:
    event_type = event["event_type"]
    if event_type not in SHOP_EVENT_TYPES:
        raise ValueError(f"Unknown event type {event_type!r}; expected one of {SHOP_EVENT_TYPES}.")
    ts = event.get("event_ts") or now_utc()
    if isinstance(ts, dt.datetime):
        ts = ts.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")
    return {
        "session_id": int(event["session_id"]),
        "customer_id": int(event["customer_id"]),
        "product_id": int(event["product_id"]),
        "event_type": event_type,
        "event_ts": str(ts),
        "price": None if event.get("price") is None else float(event["price"]),
        "quantity": int(event.get("quantity", 1)),
    }


def _account(row: dict) -> Account:
    profile = row.get("profile_json")
    return Account(
        username=row["username"],
        role=row["role"],
        customer_id=row["customer_id"],
        display_name=row["display_name"],
        profile=json.loads(profile) if profile else None,
    )
