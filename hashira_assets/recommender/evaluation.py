"""Scoring the ranker, the baselines and the oracle on one evaluation window, overall and on the
slices that matter: cold-start customers and products launched in the window."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from hashira_assets.recommender.candidates import SOURCES, Shopper, iter_candidates
from hashira_assets.recommender.cutoff_state import CutoffState
from hashira_assets.recommender.metrics import K, evaluate_rankings, recall_at_k

Ranking = Callable[[int], list[int]]


def _fill(items: list[int], filler: np.ndarray, k: int = K) -> list[int]:
    """Append popular products until the list has k distinct ones."""
    out = list(dict.fromkeys(items))[:k]
    seen = set(out)
    for item in filler:
        if len(out) >= k:
            break
        if int(item) not in seen:
            out.append(int(item))
            seen.add(int(item))
    return out


def top_popular(state: CutoffState) -> Ranking:
    """The products bought most in the week before the cut-off, for everybody."""
    ranked = np.flatnonzero(state.available)
    top = ranked[np.argsort(-state.purchases_7d[ranked], kind="stable")][:K].tolist()
    return lambda customer: top


def popularity_and_repurchase(state: CutoffState) -> Ranking:
    """The strong H&M baseline: the customer's past purchases, most recent first, then
    time-decayed popularity."""

    def rank(customer: int) -> list[int]:
        hist = state.history_of(customer)
        bought = hist["bought"] > 0
        order = np.lexsort((hist["item"][bought], -hist["last_buy_day"][bought]))
        mine = [int(i) for i in hist["item"][bought][order] if state.available[i]]
        return _fill(mine, state.popular_items)

    return rank


def als_alone(state: CutoffState) -> Ranking:
    """Implicit ALS scores; customers ALS never saw get popular products."""

    def rank(customer: int) -> list[int]:
        row = state.row_of(customer)
        if not (row >= 0 and state.user_in_als[row]):
            return _fill([], state.popular_items)
        scores = state.item_factors @ state.user_factors[row]
        top = np.argpartition(-scores, K)[:K]
        return _fill(top[np.argsort(-scores[top])].tolist(), state.popular_items)

    return rank


def baselines(state: CutoffState) -> dict[str, Ranking]:
    return {
        "top_popular": top_popular(state),
        "popularity_repurchase": popularity_and_repurchase(state),
        "als": als_alone(state),
    }


def source_recalls(
    state: CutoffState, actual: Mapping[int, set[int]], customers: list[int]
) -> dict[str, float]:
    """Each candidate source's recall at its own candidate count, and the union's (the most
    any ranker over these candidates can find), averaged over customers."""
    totals = {s: 0.0 for s in SOURCES} | {"all_sources": 0.0}
    counts = {s: 0.0 for s in SOURCES} | {"all_sources": 0.0}
    shoppers = [Shopper.known(state, customer) for customer in customers]
    for customer, cands in zip(customers, iter_candidates(state, shoppers), strict=True):
        bought = actual[customer]
        for source, scores in cands.source_scores.items():
            found = cands.items[scores > 0]
            totals[source] += len(bought & set(found.tolist())) / len(bought)
            counts[source] += len(found)
        totals["all_sources"] += len(bought & set(cands.items.tolist())) / len(bought)
        counts["all_sources"] += len(cands.items)
    n = max(len(customers), 1)
    out = {}
    for source in totals:
        out[f"recall_{source}"] = totals[source] / n
        out[f"candidates_{source}"] = counts[source] / n
    return out


def evaluate_all(
    state: CutoffState,
    actual: Mapping[int, set[int]],
    rankings: Mapping[str, Ranking | Mapping[int, list[int]]],
) -> dict[str, dict[str, float]]:
    """Metrics of every ranking overall, on cold-start customers (no events before the
    cut-off) and on purchases of products launched in the window."""
    customers = [c for c in sorted(actual) if state.knows(c)]
    cold = [c for c in customers if state.user_events[state.row_of(c)] == 0]
    launched = state.available & (state.launch_day >= state.cutoff_day)
    new_actual = {c: {p for p in actual[c] if launched[p]} for c in customers}
    n_products = int(state.available.sum())
    results = {}
    for name, ranking in rankings.items():
        if callable(ranking):
            lists = {c: ranking(c) for c in customers}
        else:
            lists = {c: list(ranking.get(c, [])) for c in customers}
        overall = evaluate_rankings(actual, lists, n_products, customers=customers)
        cold_start = evaluate_rankings(actual, lists, n_products, customers=cold)
        new_items = evaluate_rankings(new_actual, lists, n_products)
        results[name] = {
            **{k: v for k, v in overall.items()},
            **{f"cold_{k}": v for k, v in cold_start.items()},
            **{f"new_items_{k}": v for k, v in new_items.items()},
        }
    return results


def exploration_cost(
    ranked: Mapping[int, list[int]], explored: Mapping[int, list[int]], actual, n_products: int
) -> dict[str, float]:
    """MAP@12 and coverage with and without the exploration slot."""
    customers = [c for c in actual if c in ranked]
    plain = evaluate_rankings(actual, ranked, n_products, customers=customers)
    explore = evaluate_rankings(actual, explored, n_products, customers=customers)
    return {
        "map_without_exploration": plain["map"],
        "map_with_exploration": explore["map"],
        "coverage_without_exploration": plain["coverage"],
        "coverage_with_exploration": explore["coverage"],
        "exploration_recall_delta": sum(
            recall_at_k(actual[c], explored[c]) - recall_at_k(actual[c], ranked[c])
            for c in customers
        )
        / max(len(customers), 1),
    }
