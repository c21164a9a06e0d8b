"""The oracle's fast decomposition equals a direct computation from the choice model."""

import numpy as np
import pytest

from hashira_assets.raw import entities
from hashira_assets.raw.choice_model import softmax_rows
from hashira_assets.raw.oracle import _ChunkTerms
from tests.choice_models import small_choice_model


@pytest.fixture(scope="module")
def model():
    return small_choice_model(60, 80)


def _direct_expected(model, cust, day, base_rate, last):
    """Expected purchases computed product by product, straight from the model's definition."""
    state = model.day_state(day)
    group_p = softmax_rows(model.group_logits(cust, state))
    out = np.zeros((len(cust), len(model.products)))
    for i, c in enumerate(cust):
        sessions = model.expected_sessions(np.array([c]), state, base_rate)[0]
        for p in range(len(model.products)):
            if model.products.launch_day[p] > day:
                continue
            g = model.products.group[p]
            members = [q for q in np.flatnonzero(model.products.group == g)
                       if model.products.launch_day[q] <= day]  # fmt: skip
            util = model.item_utility(np.array([c]), np.array(members), state)[0]
            within = np.exp(util[members.index(p)]) / np.exp(util).sum()
            cart, buy = model.conversion(np.array([c]), np.array([p]), state)
            views = 1 + model.funnel.extra_views
            out[i, p] = sessions * views * group_p[i, g] * within * cart[0, 0] * buy[0, 0]
        if last[c] >= 0:
            cart, buy = model.conversion(np.array([c]), np.array([last[c]]), state, replenish=1.0)
            habit = model.customers.repurchase_habit[c]
            out[i, last[c]] += sessions * habit * cart[0, 0] * buy[0, 0]
    return out


@pytest.mark.parametrize("day", [60, 115])
def test_chunked_oracle_equals_direct_computation(model, day):
    cust = np.arange(0, 60, 7)
    last = np.full(len(model.customers), -1)
    consumables = np.flatnonzero(entities.TYPE_IS_CONSUMABLE[model.products.type_idx])
    last[cust[::2]] = consumables[: len(cust[::2])]
    base_rate = 0.05
    state = model.day_state(day)
    assert (state.discount > 0).any()  # promoted columns take their own path; cover it
    terms = _ChunkTerms(model, cust)
    fast_sorted = terms.expected_matrix(state, base_rate, last)
    fast = np.empty_like(fast_sorted)
    fast[:, model.by_group] = fast_sorted
    direct = _direct_expected(model, cust, day, base_rate, last)
    np.testing.assert_allclose(fast, direct, rtol=1e-4, atol=1e-9)
    per_product = terms.expected_per_product(state, base_rate, last)
    np.testing.assert_allclose(per_product, direct.sum(0), rtol=1e-4, atol=1e-9)


def test_the_window_in_one_pass_equals_the_sum_of_its_days(model):
    cust = np.arange(0, 60, 3)
    last = np.full(len(model.customers), -1)
    consumables = np.flatnonzero(entities.TYPE_IS_CONSUMABLE[model.products.type_idx])
    last[cust[::3]] = consumables[: len(cust[::3])]
    states = [model.day_state(day) for day in range(100, 107)]
    assert any((s.discount > 0).any() for s in states)
    terms = _ChunkTerms(model, cust)
    by_day = sum(terms.expected_matrix(s, 0.05, last) for s in states)
    # float32 weights summed in another order: equal to float32 precision.
    np.testing.assert_allclose(terms.expected_window(states, 0.05, last), by_day, rtol=1e-6)
    per_product = terms.expected_per_product_window(states, 0.05, last)
    for day, state in enumerate(states):
        by_id = np.empty(len(model.products))
        by_id[model.by_group] = terms.expected_matrix(state, 0.05, last).sum(0)
        np.testing.assert_allclose(per_product[day], by_id, rtol=1e-6)


def test_the_oracle_in_worker_processes_writes_the_same_tables(model, monkeypatch):
    from hashira_assets.raw import oracle

    # Chunks of 16 customers: 60 customers make 4 chunks to share between the workers.
    monkeypatch.setattr(oracle, "_CELLS_PER_CHUNK", 16 * len(model.products))
    last = np.full(len(model.customers), -1)
    consumables = np.flatnonzero(entities.TYPE_IS_CONSUMABLE[model.products.type_idx])
    habitual = np.arange(0, 60, 5)[: len(consumables)]
    last[habitual] = consumables[: len(habitual)]
    customers = np.arange(60)
    days = list(range(100, 107))
    seen = []

    def tables(workers: int):
        top = oracle.oracle_top_products(
            model, customers, days, 0.05, last, progress=lambda d, t: seen.append(d),
            workers=workers,
        )  # fmt: skip
        demand = oracle.oracle_expected_demand(
            model, days, np.datetime64("2024-01-01"), 0.05, last, workers=workers
        )
        return top, demand

    alone = tables(1)
    assert seen == [16, 32, 48, 60]
    shared = tables(2)
    assert seen[4:] == [16, 32, 48, 60]
    assert alone[0].num_rows == 60 * oracle.ORACLE_TOP_K
    for one, two in zip(alone, shared, strict=True):
        assert one.equals(two)


def test_chunks_run_in_other_processes_and_come_back_in_order():
    import os

    from hashira_assets.raw.forked import map_chunks

    chunks = [np.arange(i, i + 3) for i in range(0, 30, 3)]
    results = list(map_chunks(lambda c: (os.getpid(), int(c.sum())), chunks, workers=2))
    assert [total for _, total in results] == [int(c.sum()) for c in chunks]
    assert os.getpid() not in {pid for pid, _ in results}
    alone = list(map_chunks(lambda c: (os.getpid(), int(c.sum())), chunks, workers=1))
    assert {pid for pid, _ in alone} == {os.getpid()}


STUCK_HANDLERS = """
import signal, sys, time
import numpy as np
from hashira_assets.raw.forked import map_chunks

# Handlers that never return, as PySpark's (it calls the JVM over the parent's socket).
for number in (signal.SIGINT, signal.SIGTERM):
    signal.signal(number, lambda *_: time.sleep(3600))

def work(chunk):
    if chunk[0] == 9:
        raise ValueError("chunk 9")
    time.sleep(0.2)
    return int(chunk.sum())

chunks = [np.arange(i, i + 3) for i in range(0, 30, 3)]
print(sum(map_chunks(work, chunks[:3], workers=2)))
try:
    list(map_chunks(work, chunks, workers=2))
except ValueError as error:
    print(error)
"""


def test_workers_end_even_when_the_parent_has_handlers_that_never_return():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", STUCK_HANDLERS], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["36", "chunk 9"]
