"""Quality metrics of the assistant: ROUGE for summaries, recall@k and MRR for retrieval."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_TOKEN = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    """Lower-cased alphanumeric tokens (ROUGE's default tokenisation without stemming)."""
    return _TOKEN.findall(text.lower())


def _f1(overlap: int, n_pred: int, n_ref: int) -> float:
    if overlap == 0 or n_pred == 0 or n_ref == 0:
        return 0.0
    precision, recall = overlap / n_pred, overlap / n_ref
    return 2 * precision * recall / (precision + recall)


def rouge_n(prediction: str, reference: str, n: int) -> float:
    """ROUGE-N F1: clipped n-gram overlap."""
    p, r = tokens(prediction), tokens(reference)
    pg = Counter(tuple(p[i : i + n]) for i in range(len(p) - n + 1))
    rg = Counter(tuple(r[i : i + n]) for i in range(len(r) - n + 1))
    return _f1(sum((pg & rg).values()), sum(pg.values()), sum(rg.values()))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, start=1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1: longest common subsequence of tokens."""
    p, r = tokens(prediction), tokens(reference)
    return _f1(lcs_length(p, r), len(p), len(r))


def rouge_scores(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F1 over pairs."""
    if len(predictions) != len(references):
        raise ValueError("predictions and references differ in length")
    if not predictions:
        raise ValueError("no summaries to score")
    n = len(predictions)
    pairs = list(zip(predictions, references, strict=True))
    return {
        "rouge1": sum(rouge_n(p, r, 1) for p, r in pairs) / n,
        "rouge2": sum(rouge_n(p, r, 2) for p, r in pairs) / n,
        "rougeL": sum(rouge_l(p, r) for p, r in pairs) / n,
    }


def recall_at_k(rankings: Sequence[Sequence[int]], relevant: Sequence[int], k: int) -> float:
    """Share of queries whose one relevant item is among the first k results."""
    if not rankings:
        raise ValueError("no queries")
    hits = sum(1 for ranked, rel in zip(rankings, relevant, strict=True) if rel in ranked[:k])
    return hits / len(rankings)


def mean_reciprocal_rank(rankings: Sequence[Sequence[int]], relevant: Sequence[int]) -> float:
    """Mean of 1/rank of the relevant item (0 when it is not returned)."""
    if not rankings:
        raise ValueError("no queries")
    total = 0.0
    for ranked, rel in zip(rankings, relevant, strict=True):
        ranked = list(ranked)
        if rel in ranked:
            total += 1.0 / (ranked.index(rel) + 1)
    return total / len(rankings)
