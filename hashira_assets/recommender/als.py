"""Implicit-feedback ALS (Hu, Koren and Volinsky) on a cut-off's weighted views, carts and
purchases: the collaborative-filtering source and feature of the recommender."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from hashira_assets.recommender.data import CART, PURCHASE, VIEW

ALS_WEIGHTS = {VIEW: 1.0, CART: 3.0, PURCHASE: 8.0}


@dataclasses.dataclass
class AlsConfig:
    factors: int = 48
    iterations: int = 12
    regularization: float = 0.05
    seed: int = 0


def fit_als(
    history: pd.DataFrame, n_users: int, n_items: int, config: AlsConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """User factors (by customer row), item factors (by product id) and which users ALS saw,
    from events with a `row` (the customer's array row), `product_id` and `event_type`."""
    from implicit.cpu.als import AlternatingLeastSquares

    etype = history["event_type"].to_numpy()
    weights = np.zeros(len(history), np.float32)
    for code, w in ALS_WEIGHTS.items():
        weights[etype == code] = w
    keep = weights > 0
    matrix = sp.csr_matrix(
        (
            weights[keep],
            (history["row"].to_numpy()[keep], history["product_id"].to_numpy()[keep]),
        ),
        shape=(n_users, n_items),
    )
    matrix.sum_duplicates()
    matrix.data = np.log1p(matrix.data).astype(np.float32)
    model = AlternatingLeastSquares(
        factors=config.factors,
        regularization=config.regularization,
        iterations=config.iterations,
        random_state=config.seed,
        num_threads=0,
    )
    # implicit parallelises itself; BLAS threads on top of it only contend.
    with threadpool_limits(1, "blas"):
        model.fit(matrix, show_progress=False)
    return (
        np.asarray(model.user_factors, np.float32),
        np.asarray(model.item_factors, np.float32),
        np.asarray(matrix.getnnz(axis=1) > 0),
    )
