"""Product content vectors: one-hot attributes plus a description embedding, unit length.

They drive cold start (new products have no interactions, but they have attributes and a
description) and the `similar` mode.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hashira_assets.raw.vocabulary import BREATHING_STYLES
from hashira_assets.recommender.data import RARITIES, TYPE_NAMES

# Relative weight of the description embedding against the attribute one-hots: the attributes
# say what a product is; the description adds wording shared by similar products.
DESCRIPTION_WEIGHT = 0.6


def attribute_matrix(products: pd.DataFrame) -> np.ndarray:
    """One-hot style, type and rarity plus the log relative price, one row per product."""
    n = len(products)
    parts = []
    for codes, size in (
        (products["style_code"].to_numpy(), len(BREATHING_STYLES)),
        (products["type_code"].to_numpy(), len(TYPE_NAMES)),
        (products["rarity_code"].to_numpy(), len(RARITIES)),
    ):
        onehot = np.zeros((n, size), dtype=np.float32)
        valid = codes >= 0
        onehot[np.flatnonzero(valid), codes[valid]] = 1.0
        parts.append(onehot)
    parts.append(products["log_relative_price"].to_numpy(np.float32)[:, None] * 0.5)
    return np.hstack(parts)


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0)


def content_vectors(
    products: pd.DataFrame, description_embeddings: np.ndarray | None
) -> np.ndarray:
    """Unit-length content vectors in the order of `products` (embeddings optional)."""
    attributes = _unit(attribute_matrix(products))
    if description_embeddings is None:
        return attributes
    return _unit(np.hstack([attributes, DESCRIPTION_WEIGHT * _unit(description_embeddings)]))


def embed_descriptions(products: pd.DataFrame) -> np.ndarray:
    """MiniLM embeddings of every product's name and the first sentence of its description
    (the bundled offline model)."""
    from hashira_assets.index.embedding import embed

    # The opening sentence carries the product's character; whole descriptions cost five times
    # the encoding time (10,000 products) for little more signal.
    first = products["description"].fillna("").str.split(". ", n=1).str[0]
    texts = (products["name"].fillna("") + ". " + first).tolist()
    return np.asarray(embed(texts), dtype=np.float32)
