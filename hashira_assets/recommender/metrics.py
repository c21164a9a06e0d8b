"""Ranking metrics at K, as the H&M personalized-fashion competition defines MAP@12.

`actual` maps each evaluated customer to the set of products they bought in the window;
`predicted` maps customers to ranked product lists. Customers without purchases are not
evaluated (they have no relevant item, so their precision is undefined).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

K = 12


def average_precision_at_k(actual: set[int], predicted: Sequence[int], k: int = K) -> float:
    """AP@k = sum of precision@i at each relevant rank i <= k, over min(|actual|, k)."""
    if not actual:
        return 0.0
    hits, score, seen = 0, 0.0, set()
    for i, item in enumerate(predicted[:k], start=1):
        if item in actual and item not in seen:
            hits += 1
            score += hits / i
        seen.add(item)
    return score / min(len(actual), k)


def recall_at_k(actual: set[int], predicted: Sequence[int], k: int = K) -> float:
    """Share of the bought products that appear in the top k."""
    if not actual:
        return 0.0
    return len(actual & set(predicted[:k])) / len(actual)


def ndcg_at_k(actual: set[int], predicted: Sequence[int], k: int = K) -> float:
    """Binary-relevance NDCG@k: DCG of the list over the DCG of a perfect list."""
    if not actual:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 1) for i, p in enumerate(predicted[:k], 1) if p in actual)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(actual), k) + 1))
    return dcg / ideal


def coverage(predicted: Iterable[Sequence[int]], n_products: int, k: int = K) -> float:
    """Share of the catalog recommended to at least one customer in their top k."""
    shown: set[int] = set()
    for items in predicted:
        shown.update(items[:k])
    return len(shown) / n_products if n_products else 0.0


def evaluate_rankings(
    actual: Mapping[int, set[int]],
    predicted: Mapping[int, Sequence[int]],
    n_products: int,
    k: int = K,
    customers: Iterable[int] | None = None,
) -> dict[str, float]:
    """MAP@k, recall@k, NDCG@k over `customers` (default: all in `actual`) and catalog coverage.

    A customer with no prediction counts as an empty list (score 0), never as skipped.
    """
    ids = [c for c in (actual if customers is None else customers) if actual.get(c)]
    n = len(ids)
    if n == 0:
        return {"map": 0.0, "recall": 0.0, "ndcg": 0.0, "coverage": 0.0, "customers": 0}
    lists = [list(predicted.get(c, ())) for c in ids]
    return {
        "map": sum(
            average_precision_at_k(actual[c], p, k) for c, p in zip(ids, lists, strict=False)
        )
        / n,
        "recall": sum(recall_at_k(actual[c], p, k) for c, p in zip(ids, lists, strict=False)) / n,
        "ndcg": sum(ndcg_at_k(actual[c], p, k) for c, p in zip(ids, lists, strict=False)) / n,
        "coverage": coverage(lists, n_products, k),
        "customers": n,
    }
