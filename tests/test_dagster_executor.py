"""The executor's parent polls a quiet step's queue without waiting while another step's events
are queued, and otherwise exactly as Dagster does."""

import multiprocessing
import queue

import pytest
from dagster._core.executor import child_process_executor

from resources import dagster_executor
from resources.dagster_executor import (
    install_prompt_polling,
    prompt_multi_or_in_process_executor,
)


class RecordingQueue:
    """A queue that records how it was read: `get(block=True)` is the wait to avoid."""

    def __init__(self, items=()):
        self.items = list(items)
        self.blocking_gets: list[float | None] = []

    def get(self, block=True, timeout=None):
        if block:
            self.blocking_gets.append(timeout)
        if self.items:
            return self.items.pop(0)
        raise queue.Empty

    def empty(self):
        return not self.items


class Process:
    def __init__(self, alive=True):
        self.alive = alive

    def is_alive(self):
        return self.alive


@pytest.fixture(autouse=True)
def fresh_queues():
    dagster_executor._polled_queues.clear()
    yield
    dagster_executor._polled_queues.clear()


def test_an_event_is_returned_without_waiting():
    mine = RecordingQueue(["event"])
    assert dagster_executor._prompt_poll_for_event(Process(), mine) == "event"
    assert mine.blocking_gets == []


def test_an_empty_queue_is_not_waited_on_while_another_step_has_events():
    busy, quiet = RecordingQueue(["a", "b"]), RecordingQueue()
    poll = dagster_executor._prompt_poll_for_event
    assert poll(Process(), busy) == "a"
    assert poll(Process(), quiet) is None
    assert quiet.blocking_gets == []
    # Once the other queue is drained, the quiet one is waited on as Dagster does.
    assert poll(Process(), busy) == "b"
    assert poll(Process(), quiet) is None
    assert quiet.blocking_gets == [child_process_executor.TICK]


def test_a_dead_step_with_an_empty_queue_ends_even_beside_a_busy_one():
    busy, ended = RecordingQueue(["a"]), RecordingQueue()
    dagster_executor._polled_queues.add(busy)
    poll = dagster_executor._prompt_poll_for_event
    assert poll(Process(alive=False), ended) == child_process_executor.PROCESS_DEAD_AND_QUEUE_EMPTY


def test_real_queues_are_read_in_order():
    context = multiprocessing.get_context("spawn")
    busy, quiet = context.Queue(), context.Queue()
    for i in range(3):
        busy.put(i)
    poll = dagster_executor._prompt_poll_for_event
    got = []
    while len(got) < 3:
        event = poll(Process(), busy)
        if event is not None:
            got.append(event)
        assert poll(Process(), quiet) is None
    assert got == [0, 1, 2]
    busy.close()
    quiet.close()


def test_the_graph_runs_with_it_and_making_it_installs_the_polling(monkeypatch):
    from dagster import DagsterInstance, InitExecutorContext
    from dagster._config import process_config
    from dagster._core.definitions.job_base import InMemoryJob

    from hashira_assets.definitions import defs

    job = defs.resolve_job_def("full_refresh")
    assert job.executor_def is prompt_multi_or_in_process_executor
    monkeypatch.setattr(
        child_process_executor, "_poll_for_event", dagster_executor._dagster_poll_for_event
    )
    # The run config as `hashira launch` sends it, with the schema's defaults filled in.
    processed = process_config(
        job.executor_def.config_schema.config_type, {"multiprocess": {"max_concurrent": 2}}
    )
    assert processed.success
    config = processed.value
    with DagsterInstance.ephemeral() as instance:
        context = InitExecutorContext(
            job=InMemoryJob(job),
            executor_def=job.executor_def,
            executor_config=config,
            instance=instance,
        )
        made = job.executor_def.executor_creation_fn(context)
    assert type(made).__name__ == "MultiprocessExecutor"
    assert made._max_concurrent == 2
    assert child_process_executor._poll_for_event is dagster_executor._prompt_poll_for_event
    install_prompt_polling()  # idempotent
    assert child_process_executor._poll_for_event is dagster_executor._prompt_poll_for_event
