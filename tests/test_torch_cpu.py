"""Torch thread counts for the graph's batch steps."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import torch

from resources.torch_cpu import (
    IdleCores,
    machine_busy_seconds,
    threads_following_idle_cores,
    torch_threads,
    usable_cores,
)


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


def test_machine_busy_seconds_leave_out_idle_and_iowait():
    ticks = os.sysconf("SC_CLK_TCK")
    # user nice system idle iowait irq softirq steal guest guest_nice
    stat = f"cpu  {ticks} 0 {ticks} {50 * ticks} {ticks} 0 0 0 {ticks} 0\ncpu0 1 2 3\n"
    assert machine_busy_seconds(stat) == 2.0
    assert machine_busy_seconds() > 0


def test_idle_cores_count_only_what_other_processes_use():
    cores = len(os.sched_getaffinity(0))
    samples = iter(
        [
            (0.0, 100.0, 10.0),
            # 10 s: this process used every core, nobody else anything -> every core.
            (10.0, 100.0 + 10 * cores, 10.0 + 10 * cores),
            # 10 s: others used one core throughout, this process nothing -> one fewer.
            (20.0, 110.0 + 10 * cores, 10.0 + 10 * cores),
            # 10 s: others used 0.4 of a core -> rounds to none taken.
            (30.0, 114.0 + 10 * cores, 10.0 + 10 * cores),
        ]
    )
    idle = IdleCores(lambda: next(samples))
    assert idle.threads() == cores
    assert idle.threads() == max(1, cores - 1)
    assert idle.threads() == cores


def test_idle_cores_see_a_busy_process_beside_them():
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        idle = IdleCores()
        time.sleep(1.5)
        assert idle.threads() <= max(1, len(os.sched_getaffinity(0)) - 1)
    finally:
        burner.kill()
        burner.wait()


def test_threads_follow_idle_cores_and_are_restored():
    before = torch.get_num_threads()
    with threads_following_idle_cores() as follow:
        time.sleep(0.2)
        assert follow() == torch.get_num_threads() >= 1
    assert torch.get_num_threads() == before


def test_following_idle_cores_takes_more_only_after_two_idle_looks(monkeypatch):
    looks = iter([2, 1, 2, 2, 2, 1])
    monkeypatch.setattr(IdleCores, "threads", lambda self: next(looks))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    with threads_following_idle_cores() as follow:
        assert [follow() for _ in range(6)] == [1, 1, 1, 2, 2, 1]
