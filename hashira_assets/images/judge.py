"""The portrait judge: a small CNN that names the weapon type and breathing style in a scene.

It is trained on renders the diffusion model never saw (their own seed) and scores generated
portraits: the share whose weapon and whose style it recognizes as the requested ones. Its score
on fresh renders is the ceiling of that figure; on unconditional samples, the chance level.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from torch import nn


class PortraitJudge(nn.Module):
    """Two heads over one small convolutional trunk: weapon type and breathing style."""

    def __init__(self, n_weapons: int, n_styles: int) -> None:
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(128 * 16, 256),
            nn.ReLU(),
        )
        self.weapon_head = nn.Linear(256, n_weapons)
        self.style_head = nn.Linear(256, n_styles)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.trunk(images)
        return self.weapon_head(features), self.style_head(features)


def _tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2)


def train_judge(
    images: np.ndarray,
    weapons: np.ndarray,
    styles: np.ndarray,
    n_weapons: int,
    n_styles: int,
    epochs: int = 8,
    seed: int = 0,
    decay: bool = False,
    bf16: bool = False,
) -> PortraitJudge:
    """Fit the judge on uint8 renders (N, H, W, 3) and their labels; `decay` lowers the learning
    rate along a cosine to zero over the run, `bf16` runs the forward pass in bfloat16."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    judge = PortraitJudge(n_weapons, n_styles)
    optimizer = torch.optim.Adam(judge.parameters(), lr=2e-3)
    data = _tensor(images)
    weapon_t, style_t = torch.from_numpy(weapons).long(), torch.from_numpy(styles).long()
    per_epoch = max(1, len(data) // 64)
    total = epochs * per_epoch
    lr_at = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + np.cos(np.pi * step / total)) if decay else 1.0
    )
    judge.train()
    for _ in range(epochs):
        for batch in np.array_split(rng.permutation(len(data)), per_epoch):
            index = torch.from_numpy(batch)
            # Pixel noise of varying strength and a slight colour shift: generated portraits are
            # never as clean as renders, and a judge that needs clean pixels would under-credit
            # them.
            clean = data[index]
            strength = 0.25 * torch.rand(len(index), 1, 1, 1)
            shift = 0.08 * torch.randn(len(index), 3, 1, 1)
            noisy = clean + strength * torch.randn_like(clean) + shift
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                weapon_logits, style_logits = judge(noisy)
            loss = nn.functional.cross_entropy(
                weapon_logits.float(), weapon_t[index]
            ) + nn.functional.cross_entropy(style_logits.float(), style_t[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            lr_at.step()
    return judge.eval()


@torch.no_grad()
def predict(judge: PortraitJudge, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The judge's weapon and style index for each uint8 image."""
    weapon_logits, style_logits = judge(_tensor(images))
    return weapon_logits.argmax(1).numpy(), style_logits.argmax(1).numpy()


@dataclasses.dataclass(frozen=True)
class Recognition:
    """Shares of images whose weapon, style, and both the judge names as requested."""

    weapon: float
    style: float
    both: float

    def as_dict(self, prefix: str) -> dict[str, float]:
        return {
            f"{prefix}_weapon_accuracy": self.weapon,
            f"{prefix}_style_accuracy": self.style,
            f"{prefix}_both_accuracy": self.both,
        }


def recognition(
    judge: PortraitJudge, images: np.ndarray, weapons: np.ndarray, styles: np.ndarray
) -> Recognition:
    """How often the judge recognizes the requested weapon and style in `images`."""
    weapon_hat, style_hat = predict(judge, images)
    weapon_ok, style_ok = weapon_hat == weapons, style_hat == styles
    return Recognition(
        float(weapon_ok.mean()), float(style_ok.mean()), float((weapon_ok & style_ok).mean())
    )
