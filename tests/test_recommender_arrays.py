"""Array helpers of candidate generation (`largest`, the k largest scores; `strongest_anchor`;
`_members`) against the plain computations they replace."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hashira_assets.recommender.candidates import LARGEST_SAMPLE_FROM, largest, strongest_anchor


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


@settings(max_examples=100, deadline=None)
@given(
    triples=st.lists(
        st.tuples(st.integers(0, 7), st.sampled_from([1.0, 2.0, 3.0, 0.5]), st.integers(0, 50)),
        max_size=60,
    )
)
def test_strongest_anchor_is_the_first_heaviest_triples_anchor(triples):
    pos = np.asarray([t[0] for t in triples], np.int64)
    weight = np.asarray([t[1] for t in triples], np.float32)
    anchor = np.asarray([t[2] for t in triples], np.int32)
    expected = np.full(8, -1, np.int32)
    best = np.full(8, -1.0)
    for p, w, a in triples:  # the loop it replaces
        if w > best[p]:
            best[p], expected[p] = w, a
    assert np.array_equal(strongest_anchor(pos, weight, anchor, 8), expected)


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.integers(-5, 40), max_size=50),
    members=st.sets(st.integers(0, 30), max_size=20),
)
def test_members_is_isin_over_sorted_unique_products(values, members):
    from hashira_assets.recommender.candidates import _members

    values_array = np.asarray(values, np.int32)
    sorted_unique = np.asarray(sorted(members), np.int32)
    assert np.array_equal(
        _members(values_array, sorted_unique), np.isin(values_array, sorted_unique)
    )
