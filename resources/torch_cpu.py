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
from collections.abc import Iterator


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
