"""`largest`: the k largest scores, the same as a full partition, over scores of any shape."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hashira_assets.recommender.candidates import LARGEST_SAMPLE_FROM, largest


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(LARGEST_SAMPLE_FROM - 5, 3 * LARGEST_SAMPLE_FROM),
    k=st.integers(1, 60),
    seed=st.integers(0, 2**32 - 1),
    decimals=st.sampled_from([None, 1, 0]),
    skew=st.booleans(),
)
def test_largest_finds_the_k_largest_scores(n, k, seed, decimals, skew):
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal(n).astype(np.float32)
    if skew:  # the largest scores all in one corner, which a strided sample sees little of
        scores[: n // 50] += 5.0
    if decimals is not None:  # many ties
        scores = np.round(scores, decimals)
    found = largest(scores, k)
    assert len(found) == k and len(np.unique(found)) == k
    expected = np.sort(scores)[-k:]
    assert np.array_equal(np.sort(scores[found]), expected)


def test_largest_over_few_scores_is_a_plain_partition():
    scores = np.asarray([0.5, 3.0, -1.0, 2.0, 2.5], np.float32)
    assert sorted(largest(scores, 2).tolist()) == [1, 4]
