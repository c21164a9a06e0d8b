"""The product chat and the combat coach over the published product index and catalog."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pyarrow.compute as pc

from hashira_assets.assistant.chat import ChatAnswer, ChatEngine, ChatSession
from hashira_assets.index.search import ProductSearch
from hashira_serving import battle, catalog
from hashira_serving.cache import VERSION_TTL, cache, forever, home_key
from hashira_serving.context import published_table
from hashira_serving.customers import customer_events
from hashira_serving.errors import NotFoundError, NotMaterializedError
from resources.app_database import Account
from resources.llm import LLMResource
from resources.model_packages import offline_models
from resources.vector_index import VectorIndexResource

__all__ = ["ChatAnswer", "ChatSession", "ask_stream", "coach_stream", "engine"]
MAX_QUESTION_CHARS = 2_000
DEFAULT_ATTRIBUTES = {"strength": 0.5, "dexterity": 0.5, "stamina": 0.5}

_versions = cache(ttl=VERSION_TTL, max_entries=4)
_engines = forever(max_entries=2)
_providers = forever(max_entries=2)


def llm_provider():
    """Gemini when GOOGLE_API_KEY is set, else the bundled SmolLM2 (loaded once per process)."""

    def load():
        offline_models()
        key = os.environ.get("GOOGLE_API_KEY") or None
        return LLMResource(google_api_key=key).get_provider()

    return _providers.get(("llm", bool(os.environ.get("GOOGLE_API_KEY"))), load)


def index_version() -> int:
    """The product index table's version; NotMaterializedError when it is not built."""

    def load() -> int:
        table = VectorIndexResource().open_table()
        if table is None:
            raise NotMaterializedError(
                "The product index is not built yet: run `make demo`, or materialize "
                "`product_index` in the Dagster UI.",
                asset="product_index",
            )
        return int(table.version)

    return _versions.get(("index", home_key()), load)


def engine() -> ChatEngine:
    """The chat engine over the current version of the index (a re-index opens a new one)."""
    version = index_version()

    def load() -> ChatEngine:
        table = VectorIndexResource().open_table()
        return ChatEngine(ProductSearch(table), llm_provider())

    return _engines.get(("engine", home_key(), version), load)


def ask_stream(session: ChatSession, question: str) -> Iterator[str | ChatAnswer]:
    """The answer's tokens as they are generated, then the checked final ChatAnswer."""
    if not question or not question.strip():
        raise ValueError("Type a question first.")
    return engine().ask_stream(session, question)


def ask(session: ChatSession, question: str) -> ChatAnswer:
    answer = None
    for event in ask_stream(session, question):
        if isinstance(event, ChatAnswer):
            answer = event
    assert answer is not None
    return answer


def coach_profile(account: Account) -> dict:
    """Style, level and physique: the published customer's, else the onboarding answers."""
    if account.customer_id is not None:
        customers = published_table("silver", "customers", "silver_customers")
        rows = customers.filter(pc.equal(customers["customer_id"], account.customer_id))
        if rows.num_rows:
            row = rows.to_pylist()[0]
            return {
                k: row[k] for k in ("breathing_style", "level", "strength", "dexterity", "stamina")
            }
    profile = account.profile or {}
    return {
        "breathing_style": profile.get("breathing_style"),
        "level": profile.get("level", 1),
        **DEFAULT_ATTRIBUTES,
    }


def owned_weapons(account: Account) -> list[dict]:
    """Weapons the shopper bought, as catalog rows (most recent first)."""
    events = customer_events(account.customer_id)
    bought = events[events["event_type"] == "purchase"].sort_values("event_date", ascending=False)
    products = catalog.products()
    ids = [p for p in dict.fromkeys(bought["product_id"].tolist()) if p in products.index]
    rows = [catalog.clean_record(products.loc[p].to_dict()) for p in ids]
    return [r for r in rows if r.get("department") == "weapon"]


def coach_stream(account: Account) -> Iterator[str | ChatAnswer]:
    """The combat coach for a signed-in shopper: tokens, then the checked ChatAnswer, citing
    the battle-fit model's best weapons for them when that model is published."""
    try:
        picks = battle.picks_for_account(account)
    except (NotFoundError, NotMaterializedError):
        picks = []  # no battle-fit champion yet, or no style known: the coach without it
    return engine().coach(coach_profile(account), owned_weapons(account), picks)


class ConversationStore:
    """Chat sessions by conversation id, per user, so API follow-ups see the earlier turns.

    Bounded (least recently used out) and kept in this process only: a restarted API starts new
    conversations."""

    def __init__(self, max_conversations: int = 2_000) -> None:
        from collections import OrderedDict
        from threading import Lock

        self.max_conversations = max_conversations
        self._sessions: OrderedDict[tuple[str, str], ChatSession] = OrderedDict()
        self._lock = Lock()

    def get(self, username: str, conversation_id: str | None) -> tuple[str, ChatSession]:
        """(conversation id, its session); a new one when the id is None or not this user's."""
        import uuid

        with self._lock:
            if conversation_id is not None and (username, conversation_id) in self._sessions:
                self._sessions.move_to_end((username, conversation_id))
                return conversation_id, self._sessions[(username, conversation_id)]
            new_id = uuid.uuid4().hex
            session = ChatSession()
            self._sessions[(username, new_id)] = session
            while len(self._sessions) > self.max_conversations:
                self._sessions.popitem(last=False)
            return new_id, session


conversations = ConversationStore()


def answer_label(answer: ChatAnswer) -> str:
    """Which model wrote an answer and which index version it read."""
    writer = {"llm": "language model", "data": "catalog data", "idk": "catalog data"}
    provider = type(llm_provider()).__name__ if answer.source == "llm" else ""
    return f"{writer.get(answer.source, answer.source)} {provider}".strip() + (
        f" · product index v{index_version()}"
    )
