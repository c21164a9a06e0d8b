"""Reference values of the assistant's metrics on tiny hand-made data."""

import pytest

from hashira_assets.assistant.metrics import (
    lcs_length,
    mean_reciprocal_rank,
    recall_at_k,
    rouge_l,
    rouge_n,
    rouge_scores,
)
from hashira_assets.index.search import convex_fuse, rrf_fuse


def test_rouge_n_exact():
    # pred 6 tokens, ref 6 tokens, unigram overlap 5 -> P = R = 5/6
    assert rouge_n("the cat sat on the mat", "the cat lay on the mat", 1) == pytest.approx(5 / 6)
    # bigrams: pred {the cat, cat sat, sat on, on the, the mat}, ref shares 3 of 5
    assert rouge_n("the cat sat on the mat", "the cat lay on the mat", 2) == pytest.approx(3 / 5)
    assert rouge_n("a b", "c d", 1) == 0.0


def test_rouge_l_exact():
    assert lcs_length(["a", "b", "c", "d"], ["a", "c", "d", "e"]) == 3
    # LCS 3, P = 3/4, R = 3/5 -> F = 2PR/(P+R) = 2/3
    assert rouge_l("a b c d", "a c d e f") == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert rouge_l("Issue: broken!", "issue broken") == pytest.approx(1.0)


def test_rouge_scores_mean_and_errors():
    scores = rouge_scores(["a b", "x y"], ["a b", "p q"])
    assert scores == pytest.approx({"rouge1": 0.5, "rouge2": 0.5, "rougeL": 0.5})
    with pytest.raises(ValueError):
        rouge_scores(["a"], [])


def test_recall_and_mrr_exact():
    rankings = [[3, 1, 2], [5, 6, 7, 8, 9, 4], [1]]
    relevant = [1, 4, 2]
    assert recall_at_k(rankings, relevant, 2) == pytest.approx(1 / 3)
    assert recall_at_k(rankings, relevant, 6) == pytest.approx(2 / 3)
    assert mean_reciprocal_rank(rankings, relevant) == pytest.approx((1 / 2 + 1 / 6 + 0) / 3)


def test_rrf_exact():
    fused = rrf_fuse([[1, 2, 3], [3, 1]], k=60)
    scores = dict(fused)
    assert scores[1] == pytest.approx(1 / 61 + 1 / 62)
    assert scores[3] == pytest.approx(1 / 63 + 1 / 61)
    assert scores[2] == pytest.approx(1 / 62)
    assert [d for d, _ in fused] == [1, 3, 2]
    # equal scores keep first-seen order
    assert [d for d, _ in rrf_fuse([[7], [8]])] == [7, 8]


def test_convex_fusion_exact():
    # Vector: 1 -> 0.8, 2 -> 0.4, 3 -> -0.2 (clipped to 0). Full text: 3 -> 6.0, 2 -> 3.0.
    fused = convex_fuse({1: 0.8, 2: 0.4, 3: -0.2}, {3: 6.0, 2: 3.0}, weight=0.5)
    scores = dict(fused)
    assert scores[1] == pytest.approx(0.5 * 1.0 + 0.5 * 0.0)
    assert scores[2] == pytest.approx(0.5 * 0.5 + 0.5 * 0.5)
    assert scores[3] == pytest.approx(0.5 * 0.0 + 0.5 * 1.0)
    # Equal scores keep first-seen order, vector ids first.
    assert [d for d, _ in fused] == [1, 2, 3]
    # A strong exact full-text match outranks a document that is only slightly closer in meaning.
    fused = convex_fuse({1: 0.62, 2: 0.60}, {2: 9.0, 1: 1.0}, weight=0.5)
    assert [d for d, _ in fused] == [2, 1]
    assert convex_fuse({}, {}) == []


def test_described_questions_never_name_the_product_and_single_it_out():
    from hashira_assets.assistant.evaluation import described_questions

    def product(pid, name, rarity="rare", weight=1.2):
        return {"product_id": pid, "name": name, "rarity": rarity, "product_type": "Katana",
                "breathing_style": "Mist", "weight_kg": weight}  # fmt: skip

    products = [
        product(1, "Azure Mist Katana"),
        product(2, "Storm Mist Katana"),  # same description as 1: neither can be asked about
        product(3, "Ember Mist Katana", weight=2.5),
        product(4, "Jade Mist Katana", rarity="epic"),
    ]
    questions = described_questions(products, n=10, seed=0)
    assert sorted(pid for _, pid in questions) == [3, 4]
    for text, pid in questions:
        name = next(p["name"] for p in products if p["product_id"] == pid)
        assert name.split()[0].lower() not in text.lower()
        assert ("2.50" in text) == (pid == 3)
