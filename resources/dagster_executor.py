"""Dagster's default executor, with its parent reading a step's events as fast as they come.

The multiprocess executor's parent reads the running steps' events in turns: one event from each
step's queue per turn, waiting up to 20 ms (Dagster's `TICK`) on a queue that is empty. Beside a
quiet step (the summarizer logs every few seconds), a step that ends by yielding one
materialization per day is read at one event per 20 ms, and the next step waits for the last of
them: in the demo's `small` run, 26 s after silver's 1,460 materializations and 28 s after gold's
4,380 (`bench/bench_executor_events.py` has the same shape). Here an empty queue is not waited on
while another running step's queue holds events; when every queue is empty the parent waits as
before, so it does not spin.

It also keeps one lane of long model steps: steps tagged `MODEL_LANE` run one at a time (a
default tag concurrency limit, unless the run's config sets one for that tag), so on two cores
the models' chain keeps one core and the shop's steps the other, whatever their priorities.

The executor is Dagster's `multi_or_in_process_executor` otherwise: the same name, config and
requirements, and the same executors it creates. The parent's polling function is replaced in
the process that runs the executor (the run worker), when the executor is made.
"""

from __future__ import annotations

import queue
import weakref
from typing import Any

from dagster import ExecutorDefinition, InitExecutorContext, multi_or_in_process_executor
from dagster._core.executor import child_process_executor

LANE_TAG = "hashira/lane"
MODEL_LANE = {LANE_TAG: "models"}
# The queues of the steps this process has polled; a finished step's queue goes with its step.
_polled_queues: weakref.WeakSet = weakref.WeakSet()
_INSTALLED = "_hashira_prompt_polling"


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


_dagster_poll_for_event = child_process_executor._poll_for_event


def install_prompt_polling() -> None:
    """Replace the executor parent's polling function in this process (idempotent)."""
    if getattr(child_process_executor._poll_for_event, _INSTALLED, False):
        return
    setattr(_prompt_poll_for_event, _INSTALLED, True)
    child_process_executor._poll_for_event = _prompt_poll_for_event


def with_model_lane(executor_config: dict) -> dict:
    """The executor config with the model lane's limit added (one step at a time) when it runs
    steps in processes and sets no limit on the lane's tag itself."""
    multiprocess = executor_config.get("multiprocess")
    if multiprocess is None:
        return executor_config
    limits = list(multiprocess.get("tag_concurrency_limits") or [])
    if any(limit.get("key") == LANE_TAG for limit in limits):
        return executor_config
    limits.append({"key": LANE_TAG, "value": MODEL_LANE[LANE_TAG], "limit": 1})
    return {**executor_config, "multiprocess": {**multiprocess, "tag_concurrency_limits": limits}}


def _create_executor(init_context: InitExecutorContext):
    install_prompt_polling()
    laned = InitExecutorContext(
        job=init_context.job,
        executor_def=init_context.executor_def,
        executor_config=with_model_lane(dict(init_context.executor_config)),
        instance=init_context.instance,
    )
    return multi_or_in_process_executor.executor_creation_fn(laned)


prompt_multi_or_in_process_executor = ExecutorDefinition(
    name=multi_or_in_process_executor.name,
    config_schema=multi_or_in_process_executor.config_schema,
    requirements=multi_or_in_process_executor.get_requirements,
    executor_creation_fn=_create_executor,
    description="Dagster's default executor; its parent does not wait on a quiet step's queue "
    "while another step's events are queued, and model-lane steps run one at a time.",
)
