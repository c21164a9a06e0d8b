"""Request-time recommendations that see the shopper's latest views from the online store, so a
view changes the next recommendations before any batch run."""

from __future__ import annotations

from hashira_assets.recommender.candidates import Shopper
from hashira_assets.recommender.model import K, Recommendation, RecommenderModel
from resources.online_features import OnlineFeatureStore


def online_shopper(
    model: RecommenderModel,
    customer_id: int,
    online_store: OnlineFeatureStore,
    profile: dict | None = None,
) -> Shopper:
    """The shopper with their last viewed products (newest first) from the online store.

    A customer the model's state knows keeps their history; one who signed up after its cut-off
    is described by their onboarding `profile` (see serving.parse_profile) and their views.
    """
    viewed = tuple(online_store.last_views(customer_id))
    state = model.state
    if state.knows(customer_id):
        return Shopper.known(state, customer_id, viewed)
    return Shopper(viewed=viewed, **(profile or {}))


def recommend_with_online_views(
    model: RecommenderModel,
    customer_id: int,
    online_store: OnlineFeatureStore,
    k: int = K,
    *,
    profile: dict | None = None,
    explore: bool = True,
) -> list[Recommendation]:
    """The top-k recommendations for a shopper, counting the views the stream has applied."""
    shopper = online_shopper(model, customer_id, online_store, profile)
    return model.recommend(shopper, k, explore)
