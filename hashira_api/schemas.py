"""Request and response bodies, with the examples /docs shows."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hashira_serving.recommendations import BREATHING_STYLES

Style = Literal[tuple(BREATHING_STYLES)]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")


class User(BaseModel):
    username: str
    role: Literal["shopper", "staff"]
    display_name: str
    customer_id: int | None
    profile: dict | None = None


class Product(BaseModel):
    product_id: int
    name: str
    product_type: str
    department: str
    breathing_style: str
    rarity: str
    price: float
    weight_kg: float
    sharpness: int | None
    stock: int
    launch_date: str | None = None
    description: str | None = None


class ProductPage(BaseModel):
    total: int = Field(description="Products matching the filters.")
    offset: int
    limit: int
    items: list[Product]


class NewProduct(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Crimson Tide Katana",
                    "product_type": "katana",
                    "breathing_style": "Water",
                    "rarity": "rare",
                    "price": 420.0,
                    "weight_kg": 1.1,
                    "sharpness": 88,
                    "stock": 5,
                    "description": "A balanced blade for Water Breathing forms.",
                }
            ]
        },
    )

    name: str = Field(min_length=3, max_length=80)
    product_type: str = Field(min_length=2, max_length=40)
    breathing_style: Style
    rarity: Literal["common", "rare", "epic", "legendary"]
    price: float = Field(gt=0, le=1_000_000)
    weight_kg: float = Field(gt=0, le=100)
    sharpness: int | None = Field(default=None, ge=0, le=100)
    stock: int = Field(ge=0, le=1_000_000)
    description: str = Field(default="", max_length=2_000)


class PendingProduct(BaseModel):
    product_id: int
    status: Literal["pending"] = Field(
        description="Listed once the graph lands it in silver and the index (sensors)."
    )
    product: NewProduct


class RecommendedItem(BaseModel):
    product_id: int
    rank: int
    score: float
    reason: str
    name: str
    explored: bool = Field(description="The exploration slot: a promising, rarely seen product.")


class Recommendations(BaseModel):
    mode: str
    model_version: str
    items: list[RecommendedItem]


class Profile(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"breathing_style": "Water", "level": 35, "budget": 400, "viewed": [3, 7]}]
        },
    )

    breathing_style: Style
    level: int = Field(ge=1, le=100)
    budget: float | None = Field(default=None, gt=0, le=1_000_000)
    strength: float | None = Field(default=None, ge=0, le=1)
    dexterity: float | None = Field(default=None, ge=0, le=1)
    stamina: float | None = Field(default=None, ge=0, le=1)
    viewed: list[int] = Field(default_factory=list, max_length=10, description="Newest first.")
    k: int = Field(default=12, ge=1, le=50)
    by: Literal["purchase", "battle_fit"] = Field(
        default="purchase",
        description="`purchase`: what the slayer is likely to buy (the recommender); "
        "`battle_fit`: weapons ranked by predicted win chance (the battle-fit model).",
    )


class ForecastPoint(BaseModel):
    date: dt.date
    horizon: int
    units: float
    units_lower_80: float
    units_upper_80: float
    units_lower_95: float
    units_upper_95: float
    revenue: float


class HistoryPoint(BaseModel):
    date: dt.date
    units: float


class Forecast(BaseModel):
    level: str
    series_id: str
    model: str
    model_version: str
    cutoff: str
    points: list[ForecastPoint]
    history: list[HistoryPoint]


class ChatRequest(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "what does a whetstone cost?"}]},
    )

    question: str = Field(min_length=1, max_length=20_000)
    conversation_id: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{32}$",
        description="Continue a conversation (follow-ups such as 'which of those is lighter?').",
    )


class ChatAnswer(BaseModel):
    conversation_id: str
    text: str
    cited_product_ids: list[int]
    source: Literal["llm", "data", "idk"]
    notices: list[str]
    model: str = Field(description="What wrote the answer and which index version it read.")


class CoachRequest(Strict):
    conversation_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")


class Transcript(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "transcript": "Customer: my katana arrived chipped\n"
                    "Agent: Sorry! I have sent a replacement."
                }
            ]
        },
    )

    transcript: str = Field(min_length=1, max_length=200_000)


class Summary(BaseModel):
    summary: str
    issue_category: str
    resolution: str
    sentiment: str
    model_version: str
    notices: list[str] = []
    category_confidence: float | None = None
    resolution_confidence: float | None = None
    sentiment_confidence: float | None = None
    # False: the written summary stated an unsupported fact and the extractive one is shown.
    faithful: bool | None = None


class StoredSummary(BaseModel):
    conversation_id: int
    started_at: str | None
    agent_id: str | None = None
    issue_category: str
    resolution: str
    sentiment: str
    summary: str
    model_version: str
    category_confidence: float | None = None
    faithful: bool | None = None


class AgentQuality(BaseModel):
    agent_id: str
    conversations: int
    resolution_rate: float
    negative_share: float
    sentiment_score: float
    mean_turns: float
    flagged: int
    # Issue kinds where this agent resolves clearly less often than their peers.
    weaker_kinds: list[str]


class FlaggedConversation(BaseModel):
    conversation_id: int
    agent_id: str | None
    started_at: str | None
    issue_category: str
    summary: str
    flags: list[str]


class AgentReview(BaseModel):
    agents: list[AgentQuality]
    flagged_total: int
    flagged: list[FlaggedConversation]


class SummaryPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[StoredSummary]


class EventIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"event_type": "view", "product_id": 3},
                {"event_type": "training", "minutes": 45},
            ]
        },
    )

    event_type: Literal["view", "cart", "purchase", "return", "training"]
    product_id: int | None = Field(default=None, ge=0, le=2**31 - 1)
    quantity: int = Field(default=1, ge=1, le=100)
    minutes: int | None = Field(default=None, ge=1, le=1440)
    session_id: int | None = Field(default=None, ge=1, le=2**62)


class EventOut(BaseModel):
    accepted: bool
    event_type: str
    event_id: int | None = None
    detail: str


class Dojo(BaseModel):
    rank: str
    points: int
    battle_points: int
    streak_points: int
    training_points: int
    battles_won: int
    battles_lost: int
    current_streak: int
    longest_streak: int
    next_rank: str | None
    points_to_next_rank: int | None


class Health(BaseModel):
    status: Literal["ok", "not ready"]
    checks: dict[str, str] = {}


class ModelStatus(BaseModel):
    name: str
    title: str
    version: str | None
    versions: int
    registered_at: dt.datetime | None
    metrics: dict[str, float]


class Problem(BaseModel):
    detail: str
