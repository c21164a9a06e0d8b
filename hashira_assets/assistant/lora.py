"""Low-rank adapters (LoRA) for a frozen language model, written out in a few lines.

Each adapted linear layer learns W + (alpha / r) · B·A with A (r × in) and B (out × r), B starting
at zero so training starts from the pretrained model. Only A and B are trained and saved (about
a megabyte for SmolLM2-135M at rank 8); for generation they are merged into W, costing nothing.
"""

from __future__ import annotations

import math

import torch
from torch import nn

# The projections adapted in every decoder layer of a Llama-style model.
DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class LoRALinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        # The update's weights are kept in float32 even when the base runs in bfloat16: tiny
        # steps on bfloat16 weights round away. It is computed in the base's precision: in
        # float32 it cost a fifth of a training step, in casts of every layer's input.
        self.lora_a = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        update = (x @ self.lora_a.T.to(x.dtype)) @ self.lora_b.T.to(x.dtype)
        return self.base(x) + update * self.scale

    def merged(self) -> nn.Linear:
        """The base layer with the update added in (for generation)."""
        with torch.no_grad():
            delta = (self.lora_b @ self.lora_a) * self.scale
            self.base.weight += delta.to(self.base.weight.dtype)
        return self.base


def _adaptable(model: nn.Module, targets: tuple[str, ...]):
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if name in targets and isinstance(child, nn.Linear):
                yield parent, name, child


def add_lora(
    model: nn.Module, rank: int = 8, alpha: float = 16.0, targets: tuple[str, ...] = DEFAULT_TARGETS
) -> list[nn.Parameter]:
    """Freeze `model` and put adapters on its target projections; returns the trainable ones."""
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    trainable = []
    for parent, name, child in _adaptable(model, targets):
        adapted = LoRALinear(child, rank, alpha)
        setattr(parent, name, adapted)
        trainable += [adapted.lora_a, adapted.lora_b]
    if not trainable:
        raise ValueError(f"no linear layer named {targets} to adapt")
    return trainable


def lora_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The adapters' weights by module path (what is saved)."""
    return {
        name: tensor.detach().clone()
        for name, tensor in model.state_dict().items()
        if name.endswith(("lora_a", "lora_b"))
    }


def merge_lora(model: nn.Module) -> nn.Module:
    """Replace every adapted layer by its base with the update merged in."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, LoRALinear):
                setattr(parent, name, child.merged())
    return model


def load_lora(model: nn.Module, state: dict[str, torch.Tensor], rank: int, alpha: float) -> None:
    """Put adapters on `model` and fill them from `state` (as saved by `lora_state`)."""
    targets = tuple({key.split(".")[-2] for key in state})
    add_lora(model, rank, alpha, targets)
    missing = model.load_state_dict(state, strict=False)
    lost = [key for key in state if key in missing.unexpected_keys]
    if lost:
        raise ValueError(f"adapter weights that fit no layer: {lost[:3]}")
