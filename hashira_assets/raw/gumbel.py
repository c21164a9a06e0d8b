"""The Gumbel-max draw of the simulator's choices, computed fast with the reference's exact result.

`np.argmax(scores + rng.gumbel(size=scores.shape), axis=1)` draws one category per row with
probability softmax(scores). NumPy's `gumbel` computes -log(-log(1 - U)) one value at a time with
the C library's log (about 28 ns a value here); drawing the same uniforms with `random` and taking
the logs as whole-array operations costs about a quarter of that. The vectorized log may differ
from the C library's in the last bit, so rows whose best two totals are too close for that to
decide are redone value by value with the C library's log (`math.log` is the same function): the
result, and where the generator is left, are those of the reference, bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

# Far above the vectorized log's error on a Gumbel value (about 1e-14), far below any gap that
# occurs by chance between two rows' totals.
_CLOSE = 1e-9
_BLOCK_VALUES = 1 << 16


def gumbel_argmax(rng: np.random.Generator, scores: np.ndarray) -> np.ndarray:
    """`np.argmax(scores + rng.gumbel(size=scores.shape), axis=1)`, the same picks and draws."""
    # Rows in blocks that stay in cache: the draws are the same, as both fill rows in order.
    n_rows, width = scores.shape
    block_rows = max(1, _BLOCK_VALUES // max(width, 1))
    buffer = np.empty((min(block_rows, n_rows), width))
    best = np.empty(n_rows, dtype=np.intp)
    for start in range(0, n_rows, block_rows):
        block = scores[start : start + block_rows]
        best[start : start + len(block)] = _block_argmax(rng, block, buffer[: len(block)])
    return best


def _block_argmax(rng: np.random.Generator, scores: np.ndarray, buffer: np.ndarray) -> np.ndarray:
    state = rng.bit_generator.state
    uniform = rng.random(out=buffer)
    if (uniform == 0.0).any():
        # `gumbel` throws U = 1 away and draws again, which shifts the stream: replay it.
        rng.bit_generator.state = state
        return np.argmax(scores + rng.gumbel(size=scores.shape), axis=1)
    log_log = np.subtract(1.0, uniform)  # the reference's U = 1 - next_double
    np.log(log_log, out=log_log)
    np.negative(log_log, out=log_log)
    np.log(log_log, out=log_log)
    # The reference adds 0 - 1 * log(-log(U)); subtracting the log is the same IEEE operation.
    total = np.subtract(scores, log_log, out=log_log)
    best = np.argmax(total, axis=1)
    if total.shape[1] > 1:
        rows = np.arange(len(total))
        top = total[rows, best]
        total[rows, best] = -np.inf
        runner_up = total.max(axis=1)
        for row in np.flatnonzero(top - runner_up <= _CLOSE):
            exact = [
                s - math.log(-math.log(1.0 - u))
                for s, u in zip(scores[row].tolist(), uniform[row].tolist(), strict=True)
            ]
            best[row] = int(np.argmax(exact))
    return best
