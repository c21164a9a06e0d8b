"""The fast Gumbel-max draw picks what NumPy's `gumbel` would, and leaves the generator alike."""

import math
import types

import numpy as np
import pytest

from hashira_assets.raw import gumbel
from hashira_assets.raw.gumbel import gumbel_argmax


def _reference(rng, scores):
    return np.argmax(scores + rng.gumbel(size=scores.shape), axis=1)


@pytest.mark.parametrize("width", [1, 2, 7, 300, 70_000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_same_picks_and_draws_as_numpys_gumbel(width, dtype):
    scores = np.random.default_rng(width).normal(0, 3, size=(500, width)).astype(dtype)
    if width > 2:
        scores[:, 1] = -np.inf  # a group with nothing launched
        scores[:20] = 0.5  # rows of equal scores: decided by the noise alone
    for seed in range(3):
        reference, fast = np.random.default_rng([seed, 9]), np.random.default_rng([seed, 9])
        expected = _reference(reference, scores)
        np.testing.assert_array_equal(gumbel_argmax(fast, scores), expected)
        assert fast.bit_generator.state == reference.bit_generator.state


class _SameUniforms(np.random.Generator):
    """A generator that gives columns 0 and 1 of each row the same uniform."""

    def random(self, *args, **kwargs):
        out = super().random(*args, **kwargs)
        out[:, 1] = out[:, 0]
        return out


def test_rows_too_close_to_call_are_redone_with_the_reference_arithmetic(monkeypatch):
    # Columns 0 and 1 get the same noise and scores one bit apart: their totals are too close
    # for the vectorized logs to order, so those rows are redone value by value.
    calls = []

    def counted_log(value):
        calls.append(value)
        return math.log(value)

    monkeypatch.setattr(gumbel, "math", types.SimpleNamespace(log=counted_log))
    scores = np.full((30, 4), -60.0)
    scores[:, 0] = 1.0
    scores[:, 1] = np.nextafter(1.0, 2.0)
    uniform = _SameUniforms(np.random.PCG64(4)).random(size=scores.shape)
    # NumPy's gumbel, value by value: loc - scale * log(-log(1 - next_double)).
    expected = [
        np.argmax([s - math.log(-math.log(1.0 - u)) for s, u in zip(row, draws, strict=True)])
        for row, draws in zip(scores, uniform, strict=True)
    ]
    picks = gumbel.gumbel_argmax(_SameUniforms(np.random.PCG64(4)), scores)
    np.testing.assert_array_equal(picks, expected)
    assert set(picks) <= {0, 1}
    assert len(calls) == 30 * 4 * 2  # two logs per value of every row


class _ZeroFirst(np.random.Generator):
    """A generator whose next uniform block starts with an exact 0: `gumbel` would redraw it."""

    def random(self, *args, **kwargs):
        out = super().random(*args, **kwargs)
        out.flat[0] = 0.0
        return out


def test_a_zero_uniform_replays_the_reference_draws():
    scores = np.random.default_rng(1).normal(size=(50, 40))
    reference = np.random.default_rng(5)
    fast = _ZeroFirst(np.random.PCG64(5))
    picks = gumbel_argmax(fast, scores)
    np.testing.assert_array_equal(picks, _reference(reference, scores))
    assert fast.bit_generator.state == reference.bit_generator.state
