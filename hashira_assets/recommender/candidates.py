"""Candidate generation and ranking features for one customer, known or described by a profile.

Several sources each propose products with a score; the union is the candidate set, and every
source's score and rank become features, so the ranker learns how much to trust each one. The
same function serves training, evaluation and request time: features cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

import numpy as np

from hashira_assets.recommender.cutoff_state import N_BANDS, N_TYPES, CutoffState
from hashira_assets.recommender.data import level_band

SOURCES = (
    "repurchase",
    "recent_view",
    "co_visitation",
    "segment_popular",
    "type_affinity",
    "als",
    "content",
    "new_arrivals",
    "popular",
)
SOURCE_LIMITS = {
    "repurchase": 20,
    "recent_view": 20,
    "co_visitation": 30,
    "segment_popular": 30,
    "type_affinity": 30,
    "als": 30,
    "content": 15,
    "new_arrivals": 10,
    "popular": 12,
}
ABSENT_RANK = 99.0
RECENT_VIEW_DAYS = 30
CO_VISIT_ANCHORS = 10
TASTE_TYPES = 3
# `largest` partitions all the scores below this many, and above it first takes a floor from
# every LARGEST_SAMPLE_STRIDE-th score (a sample of thousands, whose k largest set a tight floor).
LARGEST_SAMPLE_FROM = 20_000
LARGEST_SAMPLE_STRIDE = 16
# Shoppers whose ALS scores over every product come from one matrix product: the item factors
# (105k x 48 floats at `hm`, 20 MB) are read once per block instead of once per shopper.
ALS_BLOCK = 64

ITEM_FEATURES = [
    "item_pop_decayed", "item_purchases_7d", "item_purchases_30d", "item_views_30d",
    "item_conversion", "item_log_price", "item_rel_price", "item_rarity", "item_type",
    "item_style", "item_consumable", "item_days_since_launch", "item_discount",
    "item_promo_days", "item_log_group_size", "item_fresh",
]  # fmt: skip
USER_FEATURES = [
    "user_level", "user_strength", "user_dexterity", "user_stamina", "user_purchases",
    "user_events", "user_days_since_purchase", "user_days_since_signup", "user_rel_price",
]  # fmt: skip
PAIR_FEATURES = [
    "same_style", "user_type_share", "user_style_share", "style_type_share", "segment_pop",
    "style_pop", "group_prior", "als_dot", "content_sim", "bought_count", "carted_count",
    "viewed_count", "days_since_touch", "days_since_bought", "rel_price_gap", "n_sources",
    "battle_win_chance",
]  # fmt: skip
SOURCE_FEATURES = [f"{s}_{kind}" for s in SOURCES for kind in ("score", "rank")]
FEATURE_NAMES = SOURCE_FEATURES + ITEM_FEATURES + USER_FEATURES + PAIR_FEATURES
CATEGORICAL_FEATURES = ["item_type", "item_style"]
WIN_CHANCE_COLUMN = FEATURE_NAMES.index("battle_win_chance")


@dataclasses.dataclass
class Shopper:
    """Who recommendations are for: a known customer id and/or an observable profile, plus the
    products they just viewed (a new customer has only these)."""

    customer_id: int | None = None
    style_code: int = -1
    level: float = 20.0
    strength: float = 0.5
    dexterity: float = 0.5
    stamina: float = 0.5
    budget_rel_price: float | None = None
    viewed: tuple[int, ...] = ()

    @classmethod
    def known(cls, state: CutoffState, customer_id: int, viewed: tuple[int, ...] = ()):
        """A customer the shop has a profile for (signed up by the cut-off or in the window)."""
        if not state.knows(customer_id):
            raise KeyError(f"unknown customer {customer_id}")
        row = state.row_of(customer_id)
        level, strength, dexterity, stamina = state.user_profile[row]
        return cls(
            customer_id=customer_id,
            style_code=int(state.user_style[row]),
            level=float(level),
            strength=float(strength),
            dexterity=float(dexterity),
            stamina=float(stamina),
            viewed=viewed,
        )


@dataclasses.dataclass
class Candidates:
    """One shopper's candidate products with their feature rows."""

    items: np.ndarray
    features: np.ndarray
    anchor: np.ndarray  # the history product a co-visitation candidate came from, else -1
    source_scores: dict[str, np.ndarray]


def _top(items: np.ndarray, scores: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    keep = scores > 0
    items, scores = items[keep], scores[keep]
    if len(items) > limit:
        part = np.argpartition(-scores, limit - 1)[:limit]
        items, scores = items[part], scores[part]
    order = np.lexsort((items, -scores))
    return items[order], scores[order]


def largest(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest scores, in no order. Over many scores (the ALS scores of every
    product at `hm`: 105k) the k largest of a strided sample set a floor that the full k largest
    all reach, so only the scores above it are partitioned."""
    if len(scores) <= max(LARGEST_SAMPLE_FROM, k):
        return np.argpartition(-scores, k)[:k]
    floor = np.partition(scores[::LARGEST_SAMPLE_STRIDE], -k)[-k]
    above = np.flatnonzero(scores >= floor)
    return above[np.argpartition(-scores[above], k - 1)[:k]]


def strongest_anchor(pos: np.ndarray, weight: np.ndarray, anchor: np.ndarray, n: int) -> np.ndarray:
    """For each of n neighbours, the anchor of its heaviest (neighbour position, weight, anchor)
    triple; among equal weights the first triple's. -1 for a neighbour with no triple."""
    best = np.full(n, -1, np.int32)
    if len(pos) == 0:
        return best
    order = np.lexsort((np.arange(len(pos)), -weight, pos))
    ordered = pos[order]
    first = np.ones(len(order), bool)
    first[1:] = ordered[1:] != ordered[:-1]
    best[ordered[first]] = anchor[order[first]]
    return best


def _members(values: np.ndarray, sorted_unique: np.ndarray) -> np.ndarray:
    """`np.isin(values, sorted_unique)` by binary search: this is called on short arrays for
    every request, where isin's own set-up costs more than the search."""
    if len(sorted_unique) == 0:
        return np.zeros(len(values), bool)
    pos = np.minimum(np.searchsorted(sorted_unique, values), len(sorted_unique) - 1)
    return sorted_unique[pos] == values


def _history(state: CutoffState, shopper: Shopper) -> dict[str, np.ndarray]:
    hist = state.history_of(shopper.customer_id)
    viewed = np.asarray([v for v in shopper.viewed if 0 <= v < state.n_items], np.int32)
    if len(viewed) == 0:
        return hist
    # Products viewed in this session count as views on the last day before the cut-off.
    extra = {k: np.zeros(len(viewed), v.dtype) for k, v in hist.items()}
    extra["item"] = viewed
    extra["viewed"] = np.ones(len(viewed), hist["viewed"].dtype)
    extra["last_day"] = np.full(len(viewed), state.cutoff_day - 1, hist["last_day"].dtype)
    extra["last_buy_day"] = np.full(len(viewed), -(10**6), hist["last_buy_day"].dtype)
    return {k: np.concatenate([hist[k], extra[k]]) for k in hist}


def _profile_vector(state: CutoffState, hist: dict[str, np.ndarray], segment: int) -> np.ndarray:
    """What the shopper's taste looks like in content space: the weighted mean of what they
    touched, or the mean of their segment's bestsellers when they touched nothing."""
    if len(hist["item"]):
        weights = hist["bought"] * 3 + hist["carted"] * 2 + hist["viewed"] + 1e-3
        return (weights[:, None] * state.content[hist["item"]]).sum(0) / weights.sum()
    return state.content[state.segment_top[segment][:20]].mean(0)


def generate_candidates(state: CutoffState, shopper: Shopper) -> Candidates:
    """Candidates from every source, with one feature row each."""
    return generate_candidates_many(state, [shopper])[0]


def generate_candidates_many(state: CutoffState, shoppers: Sequence[Shopper]) -> list[Candidates]:
    """`generate_candidates` of each shopper, with their ALS scores computed in blocks and one
    call of the battle-fit model for all their candidates (NaN without a model, which LightGBM
    treats as missing)."""
    many = []
    for start in range(0, len(shoppers), ALS_BLOCK):
        block = shoppers[start : start + ALS_BLOCK]
        rows = np.asarray([state.row_of(shopper.customer_id) for shopper in block], np.int64)
        in_als = rows >= 0
        in_als[in_als] = state.user_in_als[rows[in_als]]
        als_scores = _als_scores(state, rows[in_als])
        als_row = np.cumsum(in_als) - 1
        many += [
            _candidates_without_win_chance(
                state, shopper, als_scores[als_row[j]] if in_als[j] else None
            )
            for j, shopper in enumerate(block)
        ]
    if state.win_chance is None or not many:
        return many
    counts = [len(cands.items) for cands in many]
    chances = state.win_chance.of_rows(
        np.repeat([shopper.style_code for shopper in shoppers], counts),
        np.repeat(
            [(s.level, s.strength, s.dexterity, s.stamina) for s in shoppers], counts, axis=0
        ),
        np.concatenate([cands.items for cands in many]),
    )
    for cands, chance in zip(many, np.split(chances, np.cumsum(counts)[:-1]), strict=True):
        cands.features[:, WIN_CHANCE_COLUMN] = chance
    return many


def iter_candidates(
    state: CutoffState, shoppers: Sequence[Shopper], batch: int = 1000
) -> Iterator[Candidates]:
    """Each shopper's candidates in order, built `batch` shoppers at a time (the rows of a few
    batches, not of every shopper, are in memory at once)."""
    for start in range(0, len(shoppers), batch):
        yield from generate_candidates_many(state, shoppers[start : start + batch])


def _als_scores(state: CutoffState, rows: np.ndarray) -> np.ndarray:
    """The ALS score of every product for each user row, always from a matrix-matrix product:
    numpy computes a single row as a matrix-vector product, whose sums differ in the last bits,
    and a request must get the scores the `user_recommendations` blocks got."""
    factors = state.user_factors[rows]
    if len(rows) == 1:
        factors = np.vstack([factors, factors])
    return (factors @ state.item_factors.T)[: len(rows)]


def _candidates_without_win_chance(
    state: CutoffState, shopper: Shopper, als_scores: np.ndarray | None
) -> Candidates:
    """Every source's proposals and their feature rows, the win chance column left NaN;
    `als_scores` are the shopper's ALS scores of every product (None outside the ALS model)."""
    cutoff = state.cutoff_day
    hist = _history(state, shopper)
    style = shopper.style_code
    band = int(level_band(shopper.level))
    segment = max(style, 0) * N_BANDS + band
    proposals: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    items = hist["item"]
    available = state.available[items]

    bought = hist["bought"] > 0
    proposals["repurchase"] = _top(
        items[bought & available], hist["decayed"][bought & available] + 1e-6, 20
    )
    recency = np.exp(-(cutoff - 1 - hist["last_day"]) / 7.0)
    recent = (~bought) & available & (hist["last_day"] >= cutoff - RECENT_VIEW_DAYS)
    proposals["recent_view"] = _top(
        items[recent], ((hist["carted"] * 2 + hist["viewed"]) * recency)[recent], 20
    )
    anchors = items[np.argsort(-hist["last_day"], kind="stable")[:CO_VISIT_ANCHORS]]
    nb, weight, anchor_of = state.neighbours(anchors)
    covis_items = np.unique(nb)
    covis_score = np.zeros(0, np.float32)
    covis_anchor = np.zeros(0, np.int32)
    if len(nb):
        pos = np.searchsorted(covis_items, nb)
        covis_score = np.bincount(pos, weight, minlength=len(covis_items))
        covis_anchor = strongest_anchor(pos, weight, anchor_of, len(covis_items))
        ok = state.available[covis_items]
        covis_items, covis_score, covis_anchor = (
            covis_items[ok],
            covis_score[ok],
            covis_anchor[ok],
        )
    proposals["co_visitation"] = _top(covis_items, covis_score, SOURCE_LIMITS["co_visitation"])
    seg_items = state.segment_top[segment][: SOURCE_LIMITS["segment_popular"]]
    proposals["segment_popular"] = _top(seg_items, state.segment_pop[segment, seg_items], 30)
    user = state.row_of(shopper.customer_id)  # -1: not in this state
    known = user >= 0
    type_taste = state.style_type_share[max(style, 0)].copy() if style >= 0 else np.ones(N_TYPES)
    if known and state.user_type_share[user].sum() > 0:
        type_taste = type_taste / type_taste.sum() + state.user_type_share[user]
    top_types = np.argsort(-type_taste, kind="stable")[:TASTE_TYPES]
    affinity_items = state.style_type_top[max(style, 0), top_types].ravel()
    affinity_score = np.repeat(type_taste[top_types], state.style_type_top.shape[2])
    affinity_score = affinity_score / (1 + np.tile(np.arange(state.style_type_top.shape[2]),
                                                   len(top_types)))  # fmt: skip
    ok = affinity_items >= 0
    proposals["type_affinity"] = _top(affinity_items[ok], affinity_score[ok], 30)
    if als_scores is not None:
        top = largest(als_scores, SOURCE_LIMITS["als"])
        proposals["als"] = _top(top.astype(np.int32), np.maximum(als_scores[top], 1e-6), 30)
    else:
        proposals["als"] = (np.zeros(0, np.int32), np.zeros(0, np.float32))
    profile = _profile_vector(state, hist, segment)
    fresh = state.fresh_items
    fresh_sim = state.fresh_content @ profile
    proposals["content"] = _top(fresh, np.maximum(fresh_sim, 1e-6), SOURCE_LIMITS["content"])
    # New launches in the shopper's style and favourite types: the choice model's launch buzz
    # makes them sell before they have any history to be popular with.
    favourite_type = np.zeros(N_TYPES, bool)
    favourite_type[top_types] = True
    in_taste = (state.item_style[fresh] == style) & favourite_type[state.item_type[fresh]]
    arrivals = fresh[in_taste]
    proposals["new_arrivals"] = _top(
        arrivals,
        np.exp(-np.maximum(cutoff - state.launch_day[arrivals], 0) / 21.0),
        SOURCE_LIMITS["new_arrivals"],
    )
    pop = state.popular_items[: SOURCE_LIMITS["popular"]]
    proposals["popular"] = (pop, state.pop_decayed[pop] + 1e-6)

    union = np.unique(np.concatenate([p[0] for p in proposals.values()]).astype(np.int32))
    n = len(union)
    source_scores = {}
    columns: list[np.ndarray] = []
    n_sources = np.zeros(n, np.float32)
    for source in SOURCES:
        found, scores = proposals[source]
        score, rank = np.zeros(n, np.float32), np.full(n, ABSENT_RANK, np.float32)
        pos = np.searchsorted(union, found)
        score[pos] = scores
        rank[pos] = np.arange(1, len(found) + 1)
        n_sources += score > 0
        source_scores[source] = score
        columns += [score, rank]

    it = union
    columns += [
        np.log1p(state.pop_decayed[it]), state.purchases_7d[it], state.purchases_30d[it],
        state.views_30d[it], state.conversion[it], state.item_log_price[it],
        state.item_rel_price[it], state.item_rarity[it], state.item_type[it], state.item_style[it],
        state.item_consumable[it], (cutoff - state.launch_day[it]).astype(np.float32),
        state.discount[it], state.promo_days[it], state.log_group_size[it], state.fresh[it],
    ]  # fmt: skip
    user_row = [
        shopper.level, shopper.strength, shopper.dexterity, shopper.stamina,
        state.user_purchases[user] if known else 0.0,
        state.user_events[user] if known else 0.0,
        state.user_days_since_purchase[user] if known else 9999.0,
        float(cutoff - state.user_signup_day[user]) if known else 0.0,
        state.user_rel_price[user] if known else (shopper.budget_rel_price or 0.0),
    ]  # fmt: skip
    columns += [np.full(n, v, np.float32) for v in user_row]

    touched = {k: np.zeros(n, np.float32) for k in ("bought", "carted", "viewed")}
    last_touch = np.full(n, -(10**6), np.float64)
    last_buy = np.full(n, -(10**6), np.float64)
    in_union = _members(items, union)
    pos = np.searchsorted(union, items[in_union])
    for key in touched:
        np.add.at(touched[key], pos, hist[key][in_union])
    np.maximum.at(last_touch, pos, hist["last_day"][in_union])
    np.maximum.at(last_buy, pos, hist["last_buy_day"][in_union])
    user_type = state.user_type_share[user] if known else np.zeros(state.user_type_share.shape[1])
    user_style = (
        state.user_style_share[user] if known else np.zeros(state.user_style_share.shape[1])
    )
    item_type, item_style = state.item_type[it], state.item_style[it]
    user_rel = user_row[-1]
    columns += [
        (item_style == style).astype(np.float32),
        user_type[item_type],
        user_style[item_style],
        state.style_type_share[max(style, 0), item_type] if style >= 0 else np.zeros(n),
        state.segment_pop[segment, it],
        state.style_pop[max(style, 0), it] if style >= 0 else np.zeros(n),
        state.style_group_prior[max(style, 0), state.item_group[it]],
        als_scores[it] if als_scores is not None else np.zeros(n),
        state.content[it] @ profile,
        touched["bought"], touched["carted"], touched["viewed"],
        np.minimum(cutoff - last_touch, 9999), np.minimum(cutoff - last_buy, 9999),
        state.item_rel_price[it] - user_rel,
        n_sources,
        np.full(n, np.nan, np.float32),  # the win chance, filled for many shoppers at once
    ]  # fmt: skip
    # Filled column by column: stacking the mixed dtypes first made a float64 copy of it all.
    features = np.empty((n, len(columns)), np.float32)
    for j, column in enumerate(columns):
        features[:, j] = column
    anchor = np.full(n, -1, np.int32)
    if len(covis_items):
        hit = _members(union, covis_items)
        anchor[hit] = covis_anchor[np.searchsorted(covis_items, union[hit])]
    return Candidates(items=union, features=features, anchor=anchor, source_scores=source_scores)
