"""Accounts for the app: argon2id password hashes, sign-in, sign-up and the demo accounts.

Plain functions over the app database; the pages keep the signed-in `Account` in session state.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hashira_serving.cache import cache
from resources.app_database import Account, AccountError, AppDatabaseResource

# argon2id with the library's defaults (RFC 9106's second recommended profile: 64 MiB, 3 passes):
# memory-hard, so a stolen table is slow to brute-force even on GPUs.
HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 8
ACCOUNT_TTL = 5.0  # seconds an account looked up for a request is reused
_accounts = cache(ttl=ACCOUNT_TTL, max_entries=4096)
USERNAME_PATTERN = re.compile(r"^[a-z0-9_.-]{3,32}$")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def sign_in(db: AppDatabaseResource, username: str, password: str) -> Account | None:
    """The account when the name and password match, else None (no hint which one was wrong)."""
    found = db.account_with_hash(username.strip().lower())
    if found is None:
        # Hash anyway so an unknown name takes as long as a wrong password.
        HASHER.hash(password)
        return None
    account, stored = found
    try:
        HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if HASHER.check_needs_rehash(stored):
        db.set_password_hash(account.username, hash_password(password))
    return account


def validate_new_account(username: str, password: str) -> str | None:
    """Why a sign-up would be refused, or None when it is fine."""
    if not USERNAME_PATTERN.match(username):
        return "A username is 3 to 32 lowercase letters, digits, dots, dashes or underscores."
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"A password needs at least {MIN_PASSWORD_LENGTH} characters."
    return None


def sign_up_shopper(
    db: AppDatabaseResource, username: str, password: str, display_name: str | None = None
) -> Account:
    """A new shopper account with a fresh customer id; raises AccountError when refused."""
    username = username.strip().lower()
    problem = validate_new_account(username, password)
    if problem:
        raise AccountError(problem)
    return db.create_account(
        username, hash_password(password), "shopper", display_name=display_name or username
    )


@dataclasses.dataclass(frozen=True)
class DemoAccount:
    """A demo sign-in printed in the README."""

    username: str
    password: str
    role: str
    display_name: str
    note: str


DEMO_ACCOUNTS = (
    DemoAccount("urokodaki", "water-mentor", "staff", "Sakonji Urokodaki", "staff"),
    DemoAccount(
        "tanjiro",
        "hinokami-kagura",
        "shopper",
        "Tanjiro",
        "shopper linked to the generated customer with the most purchases",
    ),
    DemoAccount("kanao", "flower-breath", "shopper", "Kanao", "new shopper: onboarding first"),
)


def most_active_customer(raw_dir: Path) -> int:
    """The generated customer with the most purchase events (the demo shopper's history)."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    events = ds.dataset(raw_dir / "interaction_events", format="parquet", partitioning="hive")
    purchases = events.to_table(
        columns=["customer_id"], filter=ds.field("event_type") == "purchase"
    )
    counts = pc.value_counts(purchases["customer_id"])
    values, totals = counts.field("values"), counts.field("counts")
    best = max(range(len(values)), key=lambda i: (totals[i].as_py(), -values[i].as_py()))
    return int(values[best].as_py())


def ensure_demo_accounts(db: AppDatabaseResource, raw_dir: Path) -> list[tuple[DemoAccount, int]]:
    """Create the demo accounts that do not exist yet; each with its customer id (staff: -1)."""
    out = []
    for demo in DEMO_ACCOUNTS:
        found = db.account_with_hash(demo.username)
        if found is None:
            customer_id = most_active_customer(raw_dir) if demo.username == "tanjiro" else None
            account = db.create_account(
                demo.username,
                hash_password(demo.password),
                demo.role,
                customer_id=customer_id,
                display_name=demo.display_name,
            )
        else:
            account = found[0]
        out.append((demo, -1 if account.customer_id is None else account.customer_id))
    return out


def account_by_username(username: str) -> Account | None:
    """The account of a username, or None (re-read at most every few seconds: a changed role or
    profile shows within ACCOUNT_TTL)."""
    from hashira_serving.cache import home_key
    from hashira_serving.context import app_db

    name = username.strip().lower()

    def load() -> Account | None:
        found = app_db().account_with_hash(name)
        return found[0] if found is not None else None

    return _accounts.get((home_key(), name), load)
