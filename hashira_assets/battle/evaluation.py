"""Scoring battle-fit predictions: discrimination, calibration, and ranking against true odds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from hashira_assets.raw import vocabulary as voc
from hashira_assets.raw.simulator import battle_success_probability

ECE_BINS = 10
TOP_K = 3


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """Share-weighted gap between mean prediction and win rate over equal-width bins of p."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if len(p) == 0:
        raise ValueError("no predictions to score")
    which = np.minimum((p * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in np.unique(which):
        inside = which == b
        total += inside.sum() * abs(p[inside].mean() - y[inside].mean())
    return float(total / len(p))


def binary_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """AUC, log loss, Brier score and ECE of probabilities p for outcomes y."""
    y = np.asarray(y, dtype=np.int64)
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    if len(np.unique(y)) < 2:
        raise ValueError("AUC needs both won and lost battles in the evaluation set")
    return {
        "auc": float(roc_auc_score(y, p)),
        "logloss": float(log_loss(y, p, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "ece": expected_calibration_error(y, p),
    }


def true_odds(pairs: pd.DataFrame) -> np.ndarray:
    """The generator's win probability for (slayer, weapon) pairs, from the observable columns
    `slayer_style`, `weapon_style`, `level`, `strength`, `dexterity`, `stamina`, `product_type`
    and `weight_kg` (physique is published rounded to 3 decimals, so this matches the drawn odds
    to about 1e-3)."""
    type_index = {t.label: i for i, t in enumerate(voc.PRODUCT_TYPES)}
    physique = pairs[["strength", "dexterity", "stamina"]].to_numpy(np.float64)
    return battle_success_probability(
        (pairs["slayer_style"] == pairs["weapon_style"]).to_numpy(),
        physique,
        pairs["product_type"].map(type_index).to_numpy(np.int64),
        pairs["level"].to_numpy(np.float64),
        pairs["weight_kg"].to_numpy(np.float64),
    )


def top_k_overlap(
    slayer_ids: np.ndarray, predicted: np.ndarray, truth: np.ndarray, k: int = TOP_K
) -> dict[str, float]:
    """How well each slayer's top-k by prediction matches the top-k by true odds.

    Weapons of one style, type and weight class share the same true odds, so the true top-k is
    taken tie-inclusive: every weapon at least as likely to win as the k-th best. `overlap` is the
    mean share of the predicted top-k inside that set; `regret` the mean gap between the true odds
    of the best k weapons and of the predicted k; `margin_median` the median, over slayers, of how
    far the k-th best true odds sit above the best weapon outside the top set (how hard the top
    set is to tell from the rest: a margin of 0.01 needs odds estimated to better than a point).
    """
    frame = pd.DataFrame({"slayer": slayer_ids, "pred": predicted, "truth": truth})
    overlaps, regrets, margins = [], [], []
    for _, group in frame.groupby("slayer", sort=False):
        truth_sorted = np.sort(group["truth"].to_numpy())[::-1]
        kth = truth_sorted[min(k, len(truth_sorted)) - 1]
        picks = group.nlargest(k, "pred", keep="first")
        # Compare at 1e-9: equal true odds computed in a different order differ in the last bit.
        overlaps.append(float((picks["truth"] >= kth - 1e-9).mean()))
        regrets.append(float(truth_sorted[:k].mean() - picks["truth"].mean()))
        outside = truth_sorted[truth_sorted < kth - 1e-9]
        if len(outside):
            margins.append(float(kth - outside[0]))
    if not overlaps:
        raise ValueError("no slayers to rank weapons for")
    return {
        "overlap": float(np.mean(overlaps)),
        "regret": float(np.mean(regrets)),
        "margin_median": float(np.median(margins)) if margins else float("nan"),
        "slayers": float(len(overlaps)),
    }
