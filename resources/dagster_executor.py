"""Dagster's default executor, with its parent reading a step's events as fast as they come.

The multiprocess executor's parent reads the running steps' events in turns: one event from each
step's queue per turn, waiting up to 20 ms (Dagster's `TICK`) on a queue that is empty. Beside a
quiet step (the summarizer logs every few seconds), a step that ends by yielding one
materialization per day is read at one event per 20 ms, and the next step waits for the last of
them: in the demo's `small` run, 26 s after silver's 1,460 materializations and 28 s after gold's
4,380 (`bench/bench_executor_events.py` has the same shape). Here an empty queue is not waited on
while another running step's queue holds events; when every queue is empty the parent waits as
before, so it does not spin.

The executor is Dagster's `multi_or_in_process_executor` otherwise: the same name, config and
requirements, and the same executors it creates. Only the parent's polling function differs, and
it is replaced in the process that runs the executor (the run worker), when the executor is made.
"""

from __future__ import annotations

import queue
import weakref
from typing import Any

from dagster import ExecutorDefinition, multi_or_in_process_executor
from dagster._core.executor import child_process_executor

# The queues of the steps this process has polled; a finished step's queue goes with its step.
_polled_queues: weakref.WeakSet = weakref.WeakSet()
_INSTALLED = "_hashira_prompt_polling"
# Dagster's own polling, which waits up to `TICK` on an empty queue; used when nothing else waits.
_dagster_poll_for_event = child_process_executor._poll_for_event


def _has_events(event_queue: Any) -> bool:
    try:
        return not event_queue.empty()
    except (OSError, ValueError):  # a queue whose pipe is closed holds nothing to read
        return False


def _prompt_poll_for_event(process, event_queue):
    """Dagster's `_poll_for_event`, except that an empty queue is not waited on while another
    step's queue holds events."""
    _polled_queues.add(event_queue)
    try:
        return event_queue.get(block=False)
    except queue.Empty:
        pass
    others_waiting = any(q is not event_queue and _has_events(q) for q in list(_polled_queues))
    if others_waiting and process.is_alive():
        return None
    return _dagster_poll_for_event(process, event_queue)


def install_prompt_polling() -> None:
    """Replace the executor parent's polling function in this process (idempotent)."""
    if getattr(child_process_executor._poll_for_event, _INSTALLED, False):
        return
    setattr(_prompt_poll_for_event, _INSTALLED, True)
    child_process_executor._poll_for_event = _prompt_poll_for_event


def _create_executor(init_context):
    install_prompt_polling()
    return multi_or_in_process_executor.executor_creation_fn(init_context)


prompt_multi_or_in_process_executor = ExecutorDefinition(
    name=multi_or_in_process_executor.name,
    config_schema=multi_or_in_process_executor.config_schema,
    requirements=multi_or_in_process_executor.get_requirements,
    executor_creation_fn=_create_executor,
    description="Dagster's default executor; its parent does not wait on a quiet step's queue "
    "while another step's events are queued.",
)
