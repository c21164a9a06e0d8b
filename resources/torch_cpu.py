"""What this machine's CPU does well in PyTorch: bfloat16 only where it is native.

Without AVX-512 BF16 or AMX, PyTorch emulates bfloat16 matrix products: SmolLM2's prefill ran
5.6x slower in bfloat16 than in float32 on an AVX2-only CPU (137 s against 24.5 s for 16 chats
of 198 tokens, one thread), while on a CPU with native bfloat16 it is the faster of the two.
"""

from __future__ import annotations

import functools


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
