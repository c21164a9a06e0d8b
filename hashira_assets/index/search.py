"""Product search over the LanceDB table: vector, full-text and hybrid.

Hybrid search fuses the two rankings. The default fusion is a convex combination of scores, each
divided by its method's best score (TM2C2 in Bruch et al. 2023, "An Analysis of Fusion Functions for
Hybrid Retrieval"); reciprocal-rank fusion is kept as an option. On questions that describe a
product by its attributes and exact weight, RRF lost to full-text alone (recall@5 0.847 against
1.000 at `small`), because it only sees ranks: a product that full-text puts first by an exact
number but that the embedding ranks past the fusion depth scores like any middling product. Scores
keep that margin, so the fused ranking is at least as good as either method on both question sets
(the README's AI assistant section has the figures).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from hashira_assets.index.documents import METADATA_COLUMNS
from hashira_assets.index.embedding import embed

SEARCH_METHODS = ("vector", "fts", "hybrid")
FUSIONS = ("convex", "rrf")
# Weight of the vector score in the convex fusion; 0.3 to 0.7 all kept recall@5 at 1.0 on a
# development question set (seed 7) drawn apart from the benchmark's (seed 42).
VECTOR_WEIGHT = 0.5
# The k of reciprocal-rank fusion (Cormack et al. 2009): damps the weight of top ranks.
RRF_K = 60
# How many candidates each method contributes before fusion.
FUSION_DEPTH = 20
RESULT_COLUMNS = [*METADATA_COLUMNS, "in_stock", "text"]


@dataclasses.dataclass(frozen=True)
class SearchFilters:
    """Metadata filters; None means no constraint."""

    min_price: float | None = None
    max_price: float | None = None
    product_type: str | None = None
    breathing_style: str | None = None
    department: str | None = None
    in_stock: bool | None = None
    product_types: tuple[str, ...] | None = None  # any of these types
    rarity: str | None = None

    def where(self) -> str | None:
        """A LanceDB SQL predicate. Strings are quoted with doubled quotes, numbers go through
        float(), so no user text reaches the predicate unescaped."""
        clauses = []
        if self.min_price is not None:
            clauses.append(f"price >= {float(self.min_price)}")
        if self.max_price is not None:
            clauses.append(f"price <= {float(self.max_price)}")
        for column in ("product_type", "breathing_style", "department", "rarity"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"{column} = {_quote(value)}")
        if self.product_types:
            clauses.append(
                "product_type IN (" + ", ".join(_quote(t) for t in self.product_types) + ")"
            )
        if self.in_stock is not None:
            clauses.append("in_stock = true" if self.in_stock else "in_stock = false")
        return " AND ".join(clauses) or None

    def is_empty(self) -> bool:
        return self.where() is None


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


@dataclasses.dataclass(frozen=True)
class Hit:
    """One product found, with the method's score (higher is better)."""

    product_id: int
    score: float
    row: dict


def rrf_fuse(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion: score(d) = Σ over rankings of 1 / (k + rank of d), ranks from 1.
    Ties keep the order in which ids were first seen."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + rank)
    order = {doc: i for i, doc in enumerate(scores)}
    return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))


def convex_fuse(
    vector_scores: dict[int, float], text_scores: dict[int, float], weight: float = VECTOR_WEIGHT
) -> list[tuple[int, float]]:
    """score(d) = weight · cos(d) / max cos + (1 − weight) · bm25(d) / max bm25.

    Both scores have a theoretical minimum of 0 (cosine similarity is clipped there), so dividing
    by the maximum maps each method onto [0, 1] without stretching small differences the way
    min-max scaling would. A document missing from a method's list counts 0 there. Ties keep the
    order in which ids were first seen (vector first)."""
    top_vector = max((max(s, 0.0) for s in vector_scores.values()), default=0.0)
    top_text = max(text_scores.values(), default=0.0)
    fused: dict[int, float] = {}
    for doc in [*vector_scores, *text_scores]:
        if doc in fused:
            continue
        v = max(vector_scores.get(doc, 0.0), 0.0) / top_vector if top_vector > 0 else 0.0
        t = text_scores.get(doc, 0.0) / top_text if top_text > 0 else 0.0
        fused[doc] = weight * v + (1.0 - weight) * t
    order = {doc: i for i, doc in enumerate(fused)}
    return sorted(fused.items(), key=lambda item: (-item[1], order[item[0]]))


class ProductSearch:
    """Searches one LanceDB product table."""

    def __init__(self, table: Any, fusion: str = "convex"):
        if fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}; use one of {FUSIONS}")
        self.table = table
        self.fusion = fusion

    def vector(self, query: str, k: int = 5, filters: SearchFilters | None = None) -> list[Hit]:
        return self._vector_hits(embed([query])[0], k, filters)

    def _vector_hits(self, query_vector: Any, k: int, filters: SearchFilters | None) -> list[Hit]:
        q = self.table.search(query_vector, query_type="vector").distance_type("cosine")
        rows = self._run(q, k, filters)
        return [Hit(r["product_id"], 1.0 - float(r["_distance"]), r) for r in rows]

    def _cosine(self, query_vector: Any, product_ids: Sequence[int]) -> dict[int, float]:
        """Cosine similarity of the query to the stored vectors of the given products."""
        if not product_ids:
            return {}
        where = f"product_id IN ({', '.join(str(int(p)) for p in product_ids)})"
        table = self.table.search().where(where).select(["product_id", "vector"]).limit(None)
        found = table.to_arrow()
        vectors = np.stack(found["vector"].to_numpy(zero_copy_only=False)).astype(np.float32)
        q = np.asarray(query_vector, np.float32)
        sims = vectors @ q / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(q) + 1e-12)
        return dict(zip(found["product_id"].to_pylist(), sims.tolist(), strict=True))

    def fts(self, query: str, k: int = 5, filters: SearchFilters | None = None) -> list[Hit]:
        cleaned = _fts_query(query)
        if not cleaned:
            return []
        rows = self._run(self.table.search(cleaned, query_type="fts"), k, filters)
        return [Hit(r["product_id"], float(r["_score"]), r) for r in rows]

    def hybrid(self, query: str, k: int = 5, filters: SearchFilters | None = None) -> list[Hit]:
        depth = max(k, FUSION_DEPTH)
        query_vector = embed([query])[0]
        vector_hits = self._vector_hits(query_vector, depth, filters)
        fts_hits = self.fts(query, depth, filters)
        rows = {h.product_id: h.row for h in [*fts_hits, *vector_hits]}
        if self.fusion == "rrf":
            fused = rrf_fuse(
                [[h.product_id for h in vector_hits], [h.product_id for h in fts_hits]]
            )
        else:
            vector_scores = {h.product_id: h.score for h in vector_hits}
            text_only = [h.product_id for h in fts_hits if h.product_id not in vector_scores]
            # Full-text finds that the embedding ranked past the depth get their true cosine.
            vector_scores |= self._cosine(query_vector, text_only)
            fused = convex_fuse(vector_scores, {h.product_id: h.score for h in fts_hits})
        return [Hit(pid, score, rows[pid]) for pid, score in fused[:k]]

    def search(
        self, query: str, method: str = "hybrid", k: int = 5, filters: SearchFilters | None = None
    ) -> list[Hit]:
        if method not in SEARCH_METHODS:
            raise ValueError(f"unknown search method {method!r}; use one of {SEARCH_METHODS}")
        return getattr(self, method)(query, k, filters)

    def extremes(
        self, column: str, largest: bool, k: int = 5, filters: SearchFilters | None = None
    ) -> list[dict]:
        """The k products with the smallest (or largest) `column` among those the filters
        allow; ties go to the lower product id."""
        query = self.table.search()
        where = filters.where() if filters else None
        if where:
            query = query.where(where)
        rows = query.select(RESULT_COLUMNS).limit(None).to_list()
        sign = -1.0 if largest else 1.0
        return sorted(rows, key=lambda r: (sign * float(r[column]), r["product_id"]))[:k]

    def get(self, product_ids: Sequence[int]) -> list[dict]:
        """Rows of the given products, in the given order (missing ids are skipped)."""
        if not product_ids:
            return []
        where = f"product_id IN ({', '.join(str(int(p)) for p in product_ids)})"
        rows = self.table.search().where(where).select(RESULT_COLUMNS).limit(None).to_list()
        by_id = {r["product_id"]: r for r in rows}
        return [by_id[p] for p in product_ids if p in by_id]

    def distinct(self, column: str) -> list:
        values = self.table.search().select([column]).limit(None).to_arrow()[column]
        return sorted(set(values.to_pylist()))

    def _run(self, query: Any, k: int, filters: SearchFilters | None) -> list[dict]:
        where = filters.where() if filters else None
        if where:
            # Prefiltering applies the predicate before ranking, so a filter that matches at
            # least k products still yields k results.
            query = query.where(where, prefilter=True)
        return query.select(RESULT_COLUMNS).limit(k).to_list()


def _fts_query(query: str) -> str:
    """Plain words only: the full-text parser would read quotes, colons and dashes as syntax."""
    words = "".join(ch if ch.isalnum() else " " for ch in query).split()
    return " ".join(words)
