"""Independent pieces of the generator's work in forked worker processes, results in order."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from threadpoolctl import threadpool_limits

# The work of one piece, set before the worker processes are forked (they inherit it, so the
# choice model is never pickled).
_CHUNK_WORK: Callable[[Any], Any] | None = None


def _run_chunk(chunk: Any) -> Any:
    assert _CHUNK_WORK is not None
    return _CHUNK_WORK(chunk)


def _start_worker() -> None:
    # A forked worker inherits its parent's signal handlers; PySpark's, say, would talk to the
    # parent's JVM over an inherited socket and hang. The default handlers end the worker.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threadpool_limits(1)


def map_chunks(work: Callable[[Any], Any], chunks: Sequence[Any], workers: int) -> Iterator[Any]:
    """`work(chunk)` of each chunk, in the chunks' order, in `workers` forked processes (one BLAS
    thread each) when more than one. The chunks are independent, and the results come back in
    order and are combined in the same order either way: the output is the same bytes."""
    if workers <= 1 or len(chunks) <= 1:
        # One BLAS thread here too: the same arithmetic as in a worker, whatever the workers.
        with threadpool_limits(1):
            yield from map(work, chunks)
        return
    global _CHUNK_WORK
    _CHUNK_WORK = work
    try:
        context = multiprocessing.get_context("fork")
        pool = context.Pool(min(workers, len(chunks)), initializer=_start_worker)
        try:
            yield from pool.imap(_run_chunk, chunks)
        except BaseException:  # an error, or the caller stopped early: stop the workers
            pool.terminate()
            raise
        else:
            pool.close()  # the workers end on their own: no signal is sent
        finally:
            pool.join()
    finally:
        _CHUNK_WORK = None


def default_workers() -> int:
    """Worker processes for the generator: the cores this process may use."""
    from resources.torch_cpu import usable_cores

    return usable_cores()
