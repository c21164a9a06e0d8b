"""What this machine's CPU does well in PyTorch: bfloat16 only where it is native, and every
core for the graph's batch work.

Without AVX-512 BF16 or AMX, PyTorch emulates bfloat16 matrix products: SmolLM2's prefill ran
5.6x slower in bfloat16 than in float32 on an AVX2-only CPU (137 s against 24.5 s for 16 chats
of 198 tokens, one thread), while on a CPU with native bfloat16 it is the faster of the two.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path


@functools.cache
def bf16_native() -> bool:
    """Whether this CPU runs bfloat16 matrix products natively (AVX-512 BF16 or AMX)."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def use_bf16(setting: str) -> bool:
    """A precision setting read: "always", "never", or "auto" (bfloat16 where it is native)."""
    if setting not in {"always", "never", "auto"}:
        raise ValueError(f"bfloat16 setting must be always, never or auto, not {setting!r}")
    return setting == "always" or (setting == "auto" and bf16_native())


def fast_dtype(setting: str = "auto"):
    """torch.bfloat16 where `use_bf16(setting)`, else torch.float32."""
    import torch

    return torch.bfloat16 if use_bf16(setting) else torch.float32


def usable_cores() -> int:
    """The cores this process may use: its CPU affinity, capped by OMP_NUM_THREADS when set (the
    demo's server sets 1 so that two steps side by side do not spin-wait on each other)."""
    cores = len(os.sched_getaffinity(0))
    cap = os.environ.get("OMP_NUM_THREADS", "").strip()
    return max(1, min(cores, int(cap))) if cap.isdigit() else cores


@contextlib.contextmanager
def torch_threads(count: int | None = None) -> Iterator[int]:
    """Torch's intra-op threads set to `count` (default: `usable_cores()`) inside the block.

    The local chat model sets one thread for the whole process (a server answers many requests
    side by side); a batch step of the graph that fine-tunes or generates for hundreds of
    conversations should use the cores it has, and leave the setting as it found it."""
    import torch

    previous = torch.get_num_threads()
    wanted = count or usable_cores()
    torch.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        torch.set_num_threads(previous)


def machine_busy_seconds(stat: str | None = None) -> float:
    """CPU seconds all cores have spent busy since boot (/proc/stat's first line: every state but
    idle and iowait; guest time is already inside user time)."""
    line = (stat if stat is not None else Path("/proc/stat").read_text()).split("\n", 1)[0]
    ticks = [int(x) for x in line.split()[1:9]]
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_sample() -> tuple[float, float, float]:
    """(wall clock, the machine's busy CPU seconds, this process's CPU seconds) now."""
    own = os.times()
    return time.monotonic(), machine_busy_seconds(), own.user + own.system


class IdleCores:
    """How many cores the rest of the machine left free since the last look.

    A step that starts beside others gets one thread (`usable_cores()` under the demo's
    OMP_NUM_THREADS=1); when the steps beside it finish, the cores they leave are worth taking.
    What other processes used is the machine's busy time less this process's own CPU time (every
    thread of it), so the count does not fall just because this process itself got busier."""

    def __init__(self, sample: Callable[[], tuple[float, float, float]] | None = None) -> None:
        self.cores = len(os.sched_getaffinity(0))
        self._sample = sample or cpu_sample
        self._last = self._sample()

    def threads(self) -> int:
        """Threads worth using now: the cores others did not use since the last look (at least
        one; half a core or more counts as a core)."""
        now = self._sample()
        wall, busy, own = (a - b for a, b in zip(now, self._last, strict=True))
        self._last = now
        others = max(busy - own, 0.0) / wall if wall > 0 else float(self.cores)
        return max(1, min(self.cores, int(self.cores - others + 0.5)))


@contextlib.contextmanager
def threads_following_idle_cores() -> Iterator[Callable[[], int]]:
    """`torch_threads()` to start with; each call of the yielded function then sets torch's
    threads to the cores the machine leaves idle now (`IdleCores`) and returns the count. Meant
    for long batch work, called between batches.

    Fewer threads at once when others got busy (threads that wait on a busy core spin); more
    only when two looks in a row found the cores idle: a pause between two of the other steps
    is not worth taking (a batch that then shares a core ran 2x slower, measured in the demo)."""
    import torch

    idle = IdleCores()
    with torch_threads():
        previous_look = torch.get_num_threads()

        def follow() -> int:
            nonlocal previous_look
            now = idle.threads()
            current = torch.get_num_threads()
            wanted = min(now, previous_look) if now > current else now
            previous_look = now
            if wanted != current:
                torch.set_num_threads(wanted)
            return wanted

        yield follow
