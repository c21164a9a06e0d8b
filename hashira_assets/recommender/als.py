"""Implicit-feedback ALS (Hu, Koren and Volinsky) on a cut-off's weighted views, carts and
purchases: the collaborative-filtering source and feature of the recommender."""

from __future__ import annotations

import dataclasses

import numpy as np
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


def interaction_matrix(
    hist_ptr: np.ndarray, hist: dict[str, np.ndarray], n_items: int
) -> sp.csr_matrix:
    """Customers' weighted views, carts and purchases (log-damped) from their aggregated
    histories (a CSR layout by customer row); products touched only by returns are left out."""
    weights = (
        ALS_WEIGHTS[VIEW] * hist["viewed"]
        + ALS_WEIGHTS[CART] * hist["carted"]
        + ALS_WEIGHTS[PURCHASE] * hist["bought"]
    )
    # A copy: sorting the indices below must not reorder the histories' own product column.
    matrix = sp.csr_matrix(
        (weights.astype(np.float32), hist["item"], hist_ptr),
        shape=(len(hist_ptr) - 1, n_items),
        copy=True,
    )
    matrix.eliminate_zeros()
    matrix.has_sorted_indices = False  # a customer's products are in first-touched order
    matrix.sort_indices()
    matrix.data = np.log1p(matrix.data).astype(np.float32)
    return matrix


def fit_als(matrix: sp.csr_matrix, config: AlsConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """User factors (by customer row), item factors (by product id) and which users ALS saw,
    from a customers × products matrix of interaction weights."""
    from implicit.cpu.als import AlternatingLeastSquares

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
