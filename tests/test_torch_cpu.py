"""Torch thread counts for the graph's batch steps."""

from __future__ import annotations

import os

import torch

from resources.torch_cpu import torch_threads, usable_cores


def test_usable_cores_follow_affinity_and_omp_num_threads(monkeypatch):
    affinity = len(os.sched_getaffinity(0))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert usable_cores() == affinity
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # what the demo's server sets
    assert usable_cores() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "64")
    assert usable_cores() == affinity
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert usable_cores() == affinity


def test_torch_threads_are_set_inside_the_block_and_restored(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    torch.set_num_threads(2)
    try:
        with torch_threads() as inside:
            assert inside == torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with torch_threads(3) as inside:
            assert inside == torch.get_num_threads() == 3
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(usable_cores())
