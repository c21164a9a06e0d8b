"""The serving recommender: the ranker plus the shop's state at its cut-off, with the modes the
app and CLI use ("for you", `similar`, `cross_sell`) and a human reason for every product."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from hashira_assets.raw.vocabulary import BREATHING_STYLES
from hashira_assets.recommender.candidates import Candidates, Shopper, generate_candidates_many
from hashira_assets.recommender.cutoff_state import CutoffState
from hashira_assets.recommender.ranker import load_ranker

K = 12
# The exploration slot draws from the ranker's next-best products that few shoppers have seen.
EXPLORE_POOL = 10
LAUNCH_REASON = "launching this week"
SERVING_STATE_FILE = "serving_state.pkl"
# Shoppers scored together by the `*_many` methods: one ranker call per batch instead of one per
# shopper, with a batch's feature rows (~125 a shopper) small enough to stay a few tens of MB.
SCORING_BATCH = 500


@dataclasses.dataclass(frozen=True)
class Recommendation:
    """One recommended product: where it ranks, its score and why it is shown."""

    product_id: int
    rank: int
    score: float
    reason: str
    name: str
    explored: bool = False


def exploration_seed(customer_key: str, day: int) -> int:
    """A seed fixed per customer and day, so the exploration slot is reproducible."""
    digest = hashlib.sha256(f"{customer_key}:{day}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


class RecommenderModel:
    """A trained ranker bound to the state of the shop it recommends from."""

    def __init__(
        self,
        state: CutoffState,
        booster: lgb.Booster,
        names: pd.Series,
        launch_slot: bool = True,
    ) -> None:
        self.state = state
        self.booster = booster
        self.names = names  # product name by product id
        # A dict for the lookups of every served product: a Series lookup costs ten times more.
        self._name_of = dict(zip(names.index.tolist(), names.astype(str).tolist(), strict=True))
        views = state.views_30d[state.available]
        self.exposure_threshold = float(np.median(views)) if len(views) else 0.0
        # The launch slot: a list without any of the week's launches gives its last place to
        # the one the ranker scores best. Launches have no sales to be ranked by yet: at
        # `medium` the ranker put its buyers' launches at a median position of 56.
        self.launch_slot = launch_slot
        self.launching = state.available & (state.launch_day >= state.cutoff_day)

    # ------------------------------------------------------------------ persistence
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / SERVING_STATE_FILE, "wb") as handle:
            pickle.dump({"state": self.state, "names": self.names}, handle, protocol=5)

    @classmethod
    def load(cls, folder: Path) -> RecommenderModel:
        """A model saved by `save` plus `ranker.save_ranker` into the same folder."""
        with open(folder / SERVING_STATE_FILE, "rb") as handle:
            saved = pickle.load(handle)
        return cls(saved["state"], load_ranker(folder), saved["names"])

    # ------------------------------------------------------------------ scoring
    def score_many(self, shoppers: Sequence[Shopper]) -> list[tuple[Candidates, np.ndarray]]:
        """Each shopper's candidates and the ranker's score of each, from one ranker call."""
        many = generate_candidates_many(self.state, shoppers)
        counts = [len(cands.items) for cands in many]
        if sum(counts) == 0:
            return [(cands, np.zeros(0)) for cands in many]
        scores = self.booster.predict(np.vstack([c.features for c in many]), num_threads=1)
        return list(zip(many, np.split(scores, np.cumsum(counts)[:-1]), strict=True))

    def score(self, shopper: Shopper) -> tuple[Candidates, np.ndarray]:
        """Candidates of one shopper and the ranker's score of each."""
        return self.score_many([shopper])[0]

    def _scored(self, shoppers: Sequence[Shopper]) -> Iterator[tuple[Candidates, np.ndarray]]:
        for start in range(0, len(shoppers), SCORING_BATCH):
            yield from self.score_many(shoppers[start : start + SCORING_BATCH])

    def _top(
        self, cands: Candidates, scores: np.ndarray, k: int
    ) -> tuple[np.ndarray, list[int], int | None]:
        """Every candidate position best first, the top k's, and where the launch slot is (None
        when the list already holds a launch, or no candidate launches this week)."""
        order = np.lexsort((cands.items, -scores))
        chosen = list(order[:k])
        if not self.launch_slot or len(chosen) < k:
            return order, chosen, None
        launching = self.launching[cands.items[order]]
        if launching[:k].any() or not launching.any():
            return order, chosen, None
        return order, [*chosen[: k - 1], order[int(np.argmax(launching))]], k - 1

    def rank_many(self, shoppers: Sequence[Shopper], k: int = K) -> list[list[int]]:
        """The top-k product ids of each shopper (no exploration), best first."""
        return [
            cands.items[self._top(cands, scores, k)[1]].tolist()
            for cands, scores in self._scored(shoppers)
        ]

    def rank(self, shopper: Shopper, k: int = K) -> list[int]:
        """The top-k product ids for a shopper (no exploration), best first."""
        return self.rank_many([shopper], k)[0]

    def recommend_many(
        self,
        shoppers: Sequence[Shopper],
        k: int = K,
        explore: bool = True,
        day: int | None = None,
    ) -> list[list[Recommendation]]:
        """The top-k products with reasons. The last slot is the launch slot when it applies;
        with `explore`, the slot before it (else the last) goes to a promising, under-exposed
        product drawn reproducibly for the shopper and day."""
        return [
            self._recommend_from(cands, scores, shopper, k, explore, day)
            for shopper, (cands, scores) in zip(shoppers, self._scored(shoppers), strict=True)
        ]

    def recommend(
        self, shopper: Shopper, k: int = K, explore: bool = True, day: int | None = None
    ) -> list[Recommendation]:
        """`recommend_many` for one shopper."""
        return self.recommend_many([shopper], k, explore, day)[0]

    def evaluation_lists_many(
        self, shoppers: Sequence[Shopper], k: int = K
    ) -> list[dict[str, list[int]]]:
        """From one scoring of each shopper's candidates: the ranker's own top k
        (`ranker_only`), the served top k (`model`) and the served list with its exploration
        slot (`explored`)."""
        lists = []
        for shopper, (cands, scores) in zip(shoppers, self._scored(shoppers), strict=True):
            order, chosen, _ = self._top(cands, scores, k)
            served = self._recommend_from(cands, scores, shopper, k, explore=True, day=None)
            lists.append({
                "ranker_only": cands.items[order[:k]].tolist(),
                "model": cands.items[chosen].tolist(),
                "explored": [r.product_id for r in served],
            })  # fmt: skip
        return lists

    def _recommend_from(
        self,
        cands: Candidates,
        scores: np.ndarray,
        shopper: Shopper,
        k: int,
        explore: bool,
        day: int | None,
    ) -> list[Recommendation]:
        order, chosen, launch_at = self._top(cands, scores, k)
        explored_at = None
        slot = k - 1 if launch_at is None else k - 2
        if explore and slot >= 0 and len(order) > slot:
            kept = set(chosen[slot + 1 :])  # the launch slot's product stays
            pool = [
                i for i in order[slot : slot + 4 * EXPLORE_POOL]
                if i not in kept and self.state.views_30d[cands.items[i]] < self.exposure_threshold
            ][:EXPLORE_POOL]  # fmt: skip
            if pool:
                key = str(shopper.customer_id) if shopper.customer_id is not None else repr(shopper)
                rng = np.random.default_rng(
                    exploration_seed(key, self.state.cutoff_day if day is None else day)
                )
                chosen[slot] = pool[int(rng.integers(len(pool)))]
                explored_at = slot
        return [
            Recommendation(
                product_id=int(cands.items[i]),
                rank=rank,
                score=float(scores[i]),
                reason=LAUNCH_REASON
                if rank - 1 == launch_at
                else self.explain(cands, i, shopper, explored=rank - 1 == explored_at),
                name=self._name_of.get(int(cands.items[i]), ""),
                explored=rank - 1 == explored_at,
            )
            for rank, i in enumerate(chosen, start=1)
        ]

    # ------------------------------------------------------------------ reasons
    def _name(self, product_id: int) -> str:
        return self._name_of.get(int(product_id), f"product {product_id}")

    def explain(self, cands: Candidates, i: int, shopper: Shopper, explored: bool = False) -> str:
        """A short reason for candidate i, from the strongest source that proposed it."""
        state, item = self.state, int(cands.items[i])

        def src(source: str) -> bool:
            # Looked up only as far as the reasons below go: most stop at the first sources.
            return bool(cands.source_scores[source][i] > 0)

        if explored:
            reason = "a rising find few slayers have seen yet"
        elif src("repurchase"):
            reason = (
                "time to restock: you buy this regularly"
                if state.item_consumable[item]
                else "you bought this before"
            )
        elif src("co_visitation") and cands.anchor[i] >= 0:
            anchor = int(cands.anchor[i])
            together = item in self.state.neighbours(np.asarray([anchor]), bought_together=True)[0]
            verb = "bought" if together else "viewed"
            reason = f"often {verb} together with your {self._name(anchor)}"
        elif src("recent_view"):
            reason = "you looked at this recently"
        elif src("content") and state.fresh[item]:
            reason = "new arrival, similar to items you viewed"
        elif src("segment_popular") and shopper.style_code >= 0:
            reason = f"popular with {BREATHING_STYLES[shopper.style_code]} Breathing slayers"
            reason += " this week"
        elif src("als"):
            reason = "slayers with tastes like yours bought this"
        elif src("content"):
            reason = "similar to items you viewed"
        else:
            reason = "a shop bestseller this week"
        discount = float(state.discount[item])
        if discount > 0:
            reason += f" ({round(discount * 100)}% off this week)"
        return reason

    # ------------------------------------------------------------------ other modes
    def _check_products(self, product_ids: list[int]) -> None:
        unknown = [p for p in product_ids if not (0 <= p < self.state.n_items)
                   or not self.state.exists[p]]  # fmt: skip
        if unknown:
            raise KeyError(f"unknown product id(s): {', '.join(map(str, unknown))}")

    def similar(self, product_id: int, k: int = K) -> list[Recommendation]:
        """Products most like one product by content (attributes and description embedding)."""
        self._check_products([product_id])
        state = self.state
        sims = state.content @ state.content[product_id]
        sims[~state.available] = -np.inf
        sims[product_id] = -np.inf
        top = np.argsort(-sims, kind="stable")[:k]
        return [
            Recommendation(
                product_id=int(p), rank=r, score=float(sims[p]), name=self._name(p),
                reason=f"similar to {self._name(product_id)}",
            )
            for r, p in enumerate(top, start=1) if np.isfinite(sims[p])
        ]  # fmt: skip

    def cross_sell(self, product_ids: list[int], k: int = K) -> list[Recommendation]:
        """Products bought together with a product or a cart (co-purchases, then co-views)."""
        self._check_products(product_ids)
        state = self.state
        scores = np.zeros(state.n_items)
        anchors = np.asarray(product_ids, np.int32)
        for bought_together, weight in ((True, 1.0), (False, 1e-3)):
            nb, w, _ = state.neighbours(anchors, bought_together=bought_together)
            np.add.at(scores, nb, weight * w)
        scores[anchors] = 0
        scores[~state.available] = 0
        top = [p for p in np.argsort(-scores, kind="stable")[:k] if scores[p] > 0]
        anchor_name = self._name(product_ids[0]) if len(product_ids) == 1 else "your cart"
        return [
            Recommendation(
                product_id=int(p), rank=r, score=float(scores[p]), name=self._name(p),
                reason=f"bought together with {anchor_name}"
                if scores[p] >= 1 else f"viewed together with {anchor_name}",
            )
            for r, p in enumerate(top, start=1)
        ]  # fmt: skip
