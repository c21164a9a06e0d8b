"""Recommendations from the champion recommender: for you, similar, cross-sell and cold start.

The champion's version is looked up at most every VERSION_TTL seconds and each version is loaded
once, so a newly promoted model is served without a restart; every answer names its version.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np
import pyarrow.parquet as pq

from hashira_assets.raw.vocabulary import BREATHING_STYLES
from hashira_assets.recommender.candidates import Shopper
from hashira_assets.recommender.model import RecommenderModel
from hashira_assets.recommender.recommendations import recommendations_path
from hashira_assets.recommender.serving import NoChampionError, cached_champion, parse_profile
from hashira_assets.recommender.serving import champion_version as registry_champion_version
from hashira_serving.cache import VERSION_TTL, cache, forever, home_key
from hashira_serving.context import mlflow, online_store
from hashira_serving.errors import NotFoundError, NotMaterializedError
from resources.app_database import Account

MAX_VIEWS = 10  # the online store keeps a shopper's last 10 views
MAX_K = 50
LEVELS = (1, 100)
MODES = ("for_you", "similar", "cross_sell")

_versions = cache(ttl=VERSION_TTL, max_entries=8)
_models = forever(max_entries=2)
_published = cache(ttl=VERSION_TTL, max_entries=2)


class NeedsOnboarding(LookupError):
    """A new shopper the shop knows nothing about yet: ask the onboarding questions."""


@dataclasses.dataclass(frozen=True)
class RecommendedItem:
    """One recommended product: rank, score, why it is shown, and its name."""

    product_id: int
    rank: int
    score: float
    reason: str
    name: str
    explored: bool = False


@dataclasses.dataclass(frozen=True)
class RecommendationList:
    """Recommendations with the mode and the model version that produced them."""

    mode: str
    model_version: str
    items: list[RecommendedItem]


def champion_version() -> str:
    """The champion recommender's registry version (looked up at most every VERSION_TTL s)."""

    def load() -> str:
        try:
            return registry_champion_version(mlflow())
        except NoChampionError as exc:
            raise NotMaterializedError(
                "No recommender has been trained yet: run `make demo`, or materialize "
                "`recommender_model` in the Dagster UI.",
                asset="recommender_model",
            ) from exc

    return _versions.get(("recommender", home_key()), load)


def champion() -> tuple[RecommenderModel, str]:
    """The champion model and its version (each version is loaded once)."""
    version = champion_version()

    def load() -> RecommenderModel:
        return cached_champion(mlflow(), version).model

    return _models.get(("recommender", home_key(), version), load), version


def _items(recs: Iterable) -> list[RecommendedItem]:
    return [
        RecommendedItem(r.product_id, r.rank, round(r.score, 6), r.reason, r.name, r.explored)
        for r in recs
    ]


def _check_k(k: int) -> None:
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be between 1 and {MAX_K}")


def _check_products(model: RecommenderModel, product_ids: Iterable[int]) -> None:
    state = model.state
    unknown = [p for p in product_ids if not (0 <= p < state.n_items) or not state.exists[p]]
    if unknown:
        raise NotFoundError(f"Unknown product id(s): {', '.join(map(str, unknown))}.")


def merge_views(*sources: Iterable[int], limit: int = MAX_VIEWS) -> tuple[int, ...]:
    """Product ids viewed, newest first, without repeats, from several sources (newest first)."""
    seen: list[int] = []
    for source in sources:
        for product_id in source:
            if int(product_id) not in seen:
                seen.append(int(product_id))
    return tuple(seen[:limit])


def validate_profile(style: str, level: int, budget: float | None) -> dict:
    """Onboarding answers as a profile dict; raises ValueError with a readable message."""
    if style not in BREATHING_STYLES:
        raise ValueError(f"Pick one of the breathing styles: {', '.join(BREATHING_STYLES)}.")
    if not LEVELS[0] <= int(level) <= LEVELS[1]:
        raise ValueError(f"Level is between {LEVELS[0]} and {LEVELS[1]}.")
    if budget is not None and budget <= 0:
        raise ValueError("A budget is a positive amount (or leave it empty).")
    return {"breathing_style": style, "level": int(level), "budget": budget}


def profile_text(profile: dict) -> str:
    """A profile ({breathing_style, level, budget?, strength?, dexterity?, stamina?}) in the
    recommender's profile syntax; raises ValueError with a readable message."""
    parts = [f"style={profile['breathing_style']}", f"level={int(profile['level'])}"]
    if profile.get("budget"):
        parts.append(f"budget={float(profile['budget'])}")
    for key in ("strength", "dexterity", "stamina"):
        if profile.get(key) is not None:
            value = float(profile[key])
            if not 0 <= value <= 1:
                raise ValueError(f"{key} is between 0 and 1")
            parts.append(f"{key}={value}")
    return ",".join(parts)


def profile_features(profile: dict, model: RecommenderModel) -> dict:
    """A profile in the ranker's terms (a budget relative to the median price the model saw)."""
    state = model.state
    median = float(np.median(np.expm1(state.item_log_price[state.available])))
    return parse_profile(profile_text(profile), median)


def shopper_for(model: RecommenderModel, account: Account, viewed: tuple[int, ...]) -> Shopper:
    """The recommender's view of a signed-in shopper: their history if the model's state knows
    them, else their onboarding profile; raises NeedsOnboarding when there is neither."""
    state = model.state
    customer_id = account.customer_id
    if state.knows(customer_id):
        return Shopper.known(state, customer_id, viewed)
    if not account.profile:
        raise NeedsOnboarding(account.username)
    return Shopper(viewed=viewed, **profile_features(account.profile, model))


def recent_views(account: Account, session_views: Iterable[int] = ()) -> tuple[int, ...]:
    """This session's views, then the online store's last views of the shopper."""
    online = (
        online_store().last_views(account.customer_id) if account.customer_id is not None else []
    )
    return merge_views(session_views, online)


class PublishedRecommendations:
    """`user_recommendations` of one model version, indexed by customer (Arrow columns and
    offsets, so millions of customers stay a few arrays, not millions of objects)."""

    def __init__(self, table) -> None:
        table = table.sort_by([("customer_id", "ascending"), ("rank", "ascending")])
        self.customers = table["customer_id"].to_numpy()
        self.columns = {
            name: table[name].to_numpy(zero_copy_only=False)
            for name in ("rank", "product_id", "product_name", "score", "reason", "explored")
        }

    def top(self, customer_id: int, k: int) -> list[RecommendedItem] | None:
        start = int(np.searchsorted(self.customers, customer_id, side="left"))
        end = int(np.searchsorted(self.customers, customer_id, side="right"))
        if end - start < k:
            return None  # not published for this customer, or fewer than asked for
        c = self.columns
        return [
            RecommendedItem(
                int(c["product_id"][i]), int(c["rank"][i]), round(float(c["score"][i]), 6),
                str(c["reason"][i]), str(c["product_name"][i]), bool(c["explored"][i]),
            )
            for i in range(start, start + k)
        ]  # fmt: skip


def published(version: str) -> PublishedRecommendations | None:
    """The published top 12s when they were made by `version` (else None: compute live)."""
    path = recommendations_path()

    def load() -> PublishedRecommendations | None:
        if not path.exists():
            return None
        table = pq.read_table(path)
        versions = set(table["model_version"].unique().to_pylist())
        return PublishedRecommendations(table) if versions == {version} else None

    return _published.get(("published", home_key(), version, _mtime(path)), load)


def _mtime(path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def for_account(
    account: Account, session_views: Iterable[int] = (), k: int = 12, explore: bool = True
) -> RecommendationList:
    """A signed-in shopper's recommendations, counting their latest views at once.

    A known shopper with no new views gets the graph's published top 12 when the champion made
    them (the same model, state and exploration draw); anything else is ranked live."""
    _check_k(k)
    model, version = champion()
    viewed = tuple(p for p in recent_views(account, session_views) if 0 <= p < model.state.n_items)
    shopper = shopper_for(model, account, viewed)
    if not viewed and explore and shopper.customer_id is not None and k <= 12:
        table = published(version)
        items = table.top(shopper.customer_id, k) if table is not None else None
        if items is not None:
            return RecommendationList("for_you", version, items)
    return RecommendationList("for_you", version, _items(model.recommend(shopper, k, explore)))


def for_profile(profile: dict, viewed: Iterable[int] = (), k: int = 12) -> RecommendationList:
    """Cold start: recommendations from a profile and recently viewed products only."""
    _check_k(k)
    model, version = champion()
    viewed = merge_views(viewed)
    _check_products(model, viewed)
    shopper = Shopper(viewed=viewed, **profile_features(profile, model))
    return RecommendationList("profile", version, _items(model.recommend(shopper, k, True)))


def similar(product_id: int, k: int = 12) -> RecommendationList:
    """Products most like one product."""
    _check_k(k)
    model, version = champion()
    _check_products(model, [product_id])
    return RecommendationList("similar", version, _items(model.similar(product_id, k)))


def cross_sell(product_ids: list[int], k: int = 12) -> RecommendationList:
    """Products bought together with a product or a cart."""
    _check_k(k)
    if not product_ids:
        raise ValueError("cross-sell needs at least one product id")
    model, version = champion()
    _check_products(model, product_ids)
    return RecommendationList("cross_sell", version, _items(model.cross_sell(product_ids, k)))


def for_customer(
    customer_id: int, viewed: Iterable[int] = (), k: int = 12, explore: bool = True
) -> RecommendationList:
    """A customer the model's state knows, plus products they just viewed."""
    _check_k(k)
    model, version = champion()
    state = model.state
    if not state.knows(customer_id):
        raise NotFoundError(f"unknown customer id {customer_id}")
    viewed = merge_views(viewed)
    _check_products(model, viewed)
    shopper = Shopper.known(state, customer_id, viewed)
    return RecommendationList("for_you", version, _items(model.recommend(shopper, k, explore)))


def profile_from_text(text: str) -> dict:
    """`style=Water,level=35,budget=400` as a profile dict (ValueError names what is wrong)."""
    fields: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise ValueError(f"profile part {part!r} is not key=value")
        key, value = (s.strip() for s in part.split("=", 1))
        fields[key.lower()] = value
    styles = {s.lower(): s for s in BREATHING_STYLES}
    style = styles.get(fields.pop("style", "").lower().removesuffix(" breathing"))
    if style is None:
        raise ValueError(f"style must be one of {', '.join(BREATHING_STYLES)}")
    try:
        profile = {"breathing_style": style, "level": int(float(fields.pop("level", 20)))}
        for key in ("budget", "strength", "dexterity", "stamina"):
            if key in fields:
                profile[key] = float(fields.pop(key))
    except ValueError as exc:
        raise ValueError(f"profile numbers must be numbers: {exc}") from exc
    if fields:
        raise ValueError(f"unknown profile keys: {', '.join(sorted(fields))}")
    return profile
