"""The app database's tables and id ranges: accounts, events, chat feedback, training logs, the
bus offsets and online features, support conversations, pipeline failures and portraits."""

import sqlalchemy as sa

ROLES = ("shopper", "staff")
# The shop events that share the generator's schema and flow into the lake; chat feedback is kept
# with its conversation instead.
SHOP_EVENT_TYPES = ("view", "cart", "purchase", "return")
# App events get ids far above any generated event id, so both can live in one silver table.
APP_EVENT_ID_BASE = 10**12
# Customers who sign up in the app get ids from here on, clear of the generated customers.
APP_CUSTOMER_ID_BASE = 1_000_000
# Advisory lock keys (any fixed bigints) that order the commits of id-paged tables.
EVENTS_LOCK = 0x4A5E_0001
CONVERSATIONS_LOCK = 0x4A5E_0002
# Conversations held in the app get ids from here on, clear of the generated ones (int32 in raw).
APP_CONVERSATION_ID_BASE = 1_000_000_000
SPEAKERS = ("customer", "agent")

metadata = sa.MetaData()

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("customer_id", sa.Integer, nullable=True),
    sa.Column("display_name", sa.String(128), nullable=False),
    # Onboarding answers of a new shopper (breathing style, level, budget) as JSON.
    sa.Column("profile_json", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

app_events = sa.Table(
    "app_events",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("session_id", sa.BigInteger, nullable=False),
    sa.Column("customer_id", sa.Integer, nullable=False, index=True),
    sa.Column("product_id", sa.Integer, nullable=False),
    sa.Column("event_type", sa.String(16), nullable=False),
    # ISO-8601 text, exactly as the generator's raw events carry it.
    sa.Column("event_ts", sa.String(40), nullable=False),
    sa.Column("price", sa.Float, nullable=True),
    sa.Column("quantity", sa.SmallInteger, nullable=False),
)

chat_feedback = sa.Table(
    "chat_feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conversation_id", sa.String(64), nullable=False, index=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("persona", sa.String(32), nullable=False),
    sa.Column("turn", sa.Integer, nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("cited_product_ids", sa.Text, nullable=False),
    sa.Column("rating", sa.SmallInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

training_logs = sa.Table(
    "training_logs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, nullable=False, index=True),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("logged_on", sa.Date, nullable=False),
)

# The embedded event bus and online feature store (resources/event_bus.py, online_features.py):
# a consumer group's committed position in app_events, each shopper's latest view per product,
# and running counters of the online store.
bus_offsets = sa.Table(
    "bus_offsets",
    metadata,
    sa.Column("group_name", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

online_views = sa.Table(
    "online_views",
    metadata,
    sa.Column("customer_id", sa.Integer, primary_key=True),
    sa.Column("product_id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.BigInteger, nullable=False),
)

online_counters = sa.Table(
    "online_counters",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

# Support conversations held in the app (the Support page); the orchestration's sensor lands them
# in the raw world beside the generated ones and has them summarized.
support_conversations = sa.Table(
    "support_conversations",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("customer_id", sa.Integer, nullable=False, index=True),
    sa.Column("product_id", sa.Integer, nullable=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    # [{"speaker": "customer" | "agent", "text": ...}, ...] as JSON.
    sa.Column("turns_json", sa.Text, nullable=False),
)

# Failed Dagster runs, recorded by the run-failure sensor for the Models & pipeline page.
pipeline_failures = sa.Table(
    "pipeline_failures",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("job_name", sa.String(255), nullable=False),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False, index=True),
    # The run's partition key, or "first..last" for a range of days; null when unpartitioned.
    sa.Column("partition", sa.String(64), nullable=True),
    sa.Column("failed_steps", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
)


# Portraits shoppers forged on the Dojo page, kept on their profile (PNG bytes).
portraits = sa.Table(
    "portraits",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, index=True),
    sa.Column("breathing_style", sa.String(32), nullable=False),
    sa.Column("weapon_type", sa.String(32), nullable=False),
    sa.Column("generator", sa.String(64), nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("image_png", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


def commit_in_id_order(conn: sa.Connection, lock: int) -> None:
    """Make this transaction's inserts commit in the order of their ids.

    Readers page through events and conversations by id (the landing watermark, the table bus's
    offset). On PostgreSQL an id is taken when the insert runs, so a transaction that took a lower
    id but commits after one with a higher id would fall below a watermark that already moved
    past it. A transaction-scoped advisory lock, taken before the ids and released at commit,
    makes writers of the table take ids and commit one after another. SQLite serializes writers
    already."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})
