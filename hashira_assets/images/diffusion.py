"""The portrait model: a small class-conditional diffusion UNet, trained on slayer scenes.

A diffusers `UNet2DModel` denoises a DDPM (it predicts the clean image; see `prediction`); the
condition is the sum of a weapon-type and a breathing-style embedding, added to the timestep
embedding (`class_embed_type="identity"`).
Both embeddings have one extra "no condition" row: training drops the condition now and then so
sampling can use classifier-free guidance, and the same model gives unconditional samples (the
chance level of the evaluation).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from diffusers import DDIMScheduler, DDPMScheduler, UNet2DModel
from torch import nn

WEIGHTS_FILE = "portrait_unet.pt"
CONFIG_FILE = "portrait_config.json"
# Bumped when the model's layout or its conditioning changes: older folders are not loadable.
MODEL_FORMAT = 1


@dataclasses.dataclass(frozen=True)
class DiffusionConfig:
    """The model's shape and its noise schedule."""

    image_size: int = 32
    channels: tuple[int, ...] = (32, 64, 96)
    layers_per_block: int = 1
    n_weapons: int = 9
    n_styles: int = 13
    train_timesteps: int = 1000
    # Channels of the condition maps fed beside the pixels (0: only the embedding route).
    condition_channels: int = 8
    # What the UNet predicts: "sample" (the clean image) or "epsilon" (the noise). On flat,
    # few-colour scenes and a short CPU budget, predicting the image gave clean colours where
    # predicting the noise left speckled, washed-out samples (docs/images.md).
    prediction: str = "sample"

    @classmethod
    def from_dict(cls, data: dict) -> DiffusionConfig:
        return cls(**{**data, "channels": tuple(data["channels"])})


class PortraitDiffusion(nn.Module):
    """UNet noise predictor conditioned on (weapon type, breathing style) indices."""

    def __init__(self, config: DiffusionConfig) -> None:
        super().__init__()
        self.config = config
        levels = len(config.channels)
        self.unet = UNet2DModel(
            sample_size=config.image_size,
            in_channels=3 + 2 * config.condition_channels,
            out_channels=3,
            layers_per_block=config.layers_per_block,
            block_out_channels=config.channels,
            down_block_types=("DownBlock2D",) * (levels - 1) + ("AttnDownBlock2D",),
            up_block_types=("AttnUpBlock2D",) + ("UpBlock2D",) * (levels - 1),
            norm_num_groups=8,
            class_embed_type="identity",
        )
        embed_dim = config.channels[0] * 4
        # The last row of each table is "no condition".
        self.weapon_embedding = nn.Embedding(config.n_weapons + 1, embed_dim)
        self.style_embedding = nn.Embedding(config.n_styles + 1, embed_dim)
        # The condition also enters as constant maps beside the pixels, so every layer from the
        # first sees it: through the timestep route alone, colours came out washed out.
        maps = config.condition_channels
        self.weapon_maps = nn.Embedding(config.n_weapons + 1, maps) if maps else None
        self.style_maps = nn.Embedding(config.n_styles + 1, maps) if maps else None

    def forward(
        self,
        noisy: torch.Tensor,
        timesteps: torch.Tensor,
        weapon: torch.Tensor,
        style: torch.Tensor,
    ) -> torch.Tensor:
        condition = self.weapon_embedding(weapon) + self.style_embedding(style)
        if self.weapon_maps is not None:
            maps = torch.cat([self.weapon_maps(weapon), self.style_maps(style)], dim=1)
            height, width = noisy.shape[-2:]
            noisy = torch.cat([noisy, maps[:, :, None, None].expand(-1, -1, height, width)], 1)
        return self.unet(noisy, timesteps, class_labels=condition).sample

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(self.state_dict(), folder / WEIGHTS_FILE)
        meta = {"format": MODEL_FORMAT, "config": dataclasses.asdict(self.config)}
        (folder / CONFIG_FILE).write_text(json.dumps(meta, indent=2))

    @classmethod
    def load(cls, folder: Path) -> PortraitDiffusion:
        meta = json.loads((Path(folder) / CONFIG_FILE).read_text())
        if meta.get("format") != MODEL_FORMAT:
            raise ValueError(
                f"portrait model in {folder} has format {meta.get('format')}, "
                f"this code reads format {MODEL_FORMAT}"
            )
        model = cls(DiffusionConfig.from_dict(meta["config"]))
        state = torch.load(Path(folder) / WEIGHTS_FILE, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        return model.eval()


def find_model_dir(folder: Path) -> Path:
    """The folder holding a saved portrait model inside a download (MLflow may nest it)."""
    found = sorted(Path(folder).rglob(CONFIG_FILE))
    if not found:
        raise FileNotFoundError(f"no portrait model under {folder}")
    return found[0].parent


def noise_schedule(config: DiffusionConfig) -> DDPMScheduler:
    return DDPMScheduler(
        num_train_timesteps=config.train_timesteps,
        beta_schedule="squaredcos_cap_v2",
        prediction_type=config.prediction,
    )


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """How long and how fast the model learns."""

    steps: int = 3000
    batch_size: int = 64
    learning_rate: float = 2e-3
    # Share of examples trained without their condition (for classifier-free guidance).
    drop_condition: float = 0.1
    # Sampling uses an exponential moving average of the weights (far less noisy samples after
    # a short training than the last step's weights).
    ema_decay: float = 0.995
    seed: int = 0


def train(
    model: PortraitDiffusion,
    images: np.ndarray,
    weapons: np.ndarray,
    styles: np.ndarray,
    settings: TrainSettings,
    progress: Callable[[str], None] = lambda _: None,
) -> list[float]:
    """Fit the noise predictor on images in [-1, 1] (N, 3, H, W), leaving the model with its
    averaged weights; returns the mean loss of every 100 steps."""
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    schedule = noise_schedule(model.config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=0.0)
    warmup = min(200, settings.steps // 10 + 1)
    lr_at = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: (
            min(1.0, (step + 1) / warmup)
            * 0.5
            * (1 + np.cos(np.pi * min(step, settings.steps) / settings.steps))
        ),
    )
    data = torch.from_numpy(images)
    weapon_t, style_t = torch.from_numpy(weapons).long(), torch.from_numpy(styles).long()
    ema = {name: p.detach().clone() for name, p in model.state_dict().items()}
    model.train()
    losses, running, started = [], 0.0, time.monotonic()
    for step in range(settings.steps):
        batch = torch.from_numpy(rng.integers(0, len(data), settings.batch_size))
        clean = data[batch]
        weapon, style = weapon_t[batch].clone(), style_t[batch].clone()
        dropped = torch.from_numpy(rng.random(settings.batch_size) < settings.drop_condition)
        weapon[dropped], style[dropped] = model.config.n_weapons, model.config.n_styles
        noise = torch.randn_like(clean)
        timesteps = torch.randint(0, schedule.config.num_train_timesteps, (len(clean),))
        noisy = schedule.add_noise(clean, noise, timesteps)
        target = prediction_target(schedule, model.config.prediction, clean, noise, timesteps)
        loss = nn.functional.mse_loss(model(noisy, timesteps, weapon, style), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        lr_at.step()
        with torch.no_grad():
            decay = min(settings.ema_decay, (1 + step) / (10 + step))
            for name, value in model.state_dict().items():
                if value.dtype.is_floating_point:
                    ema[name].mul_(decay).add_(value.detach(), alpha=1 - decay)
                else:
                    ema[name].copy_(value)
        running += float(loss.detach())
        if (step + 1) % 100 == 0 or step + 1 == settings.steps:
            losses.append(running / (step % 100 + 1))
            running = 0.0
            elapsed = time.monotonic() - started
            left = elapsed / (step + 1) * (settings.steps - step - 1)
            progress(
                f"portrait model: step {step + 1}/{settings.steps}, loss {losses[-1]:.4f}, "
                f"{elapsed:.0f} s, about {left:.0f} s left"
            )
    model.load_state_dict(ema)
    model.eval()
    return losses


def prediction_target(
    schedule: DDPMScheduler,
    prediction: str,
    clean: torch.Tensor,
    noise: torch.Tensor,
    timesteps: torch.Tensor,
) -> torch.Tensor:
    """What the UNet learns to output for a noisy batch: the clean image, the noise, or v."""
    if prediction == "sample":
        return clean
    if prediction == "epsilon":
        return noise
    return schedule.get_velocity(clean, noise, timesteps)


@torch.no_grad()
def sample(
    model: PortraitDiffusion,
    weapons: np.ndarray,
    styles: np.ndarray,
    seed: int,
    steps: int = 25,
    guidance: float = 2.0,
) -> np.ndarray:
    """Generated images (N, H, W, 3) uint8 for each (weapon, style) pair; an index equal to the
    table size means no condition. DDIM with classifier-free guidance."""
    config = model.config
    scheduler = DDIMScheduler.from_config(noise_schedule(config).config)
    scheduler.set_timesteps(steps)
    generator = torch.Generator().manual_seed(seed)
    n = len(weapons)
    x = torch.randn((n, 3, config.image_size, config.image_size), generator=generator)
    weapon = torch.as_tensor(weapons).long()
    style = torch.as_tensor(styles).long()
    null_w = torch.full_like(weapon, config.n_weapons)
    null_s = torch.full_like(style, config.n_styles)
    guided = guidance != 1.0
    for t in scheduler.timesteps:
        timesteps = torch.full((n,), int(t))
        if guided:
            both = model(
                torch.cat([x, x]),
                torch.cat([timesteps, timesteps]),
                torch.cat([weapon, null_w]),
                torch.cat([style, null_s]),
            )
            cond, uncond = both.chunk(2)
            predicted = uncond + guidance * (cond - uncond)
        else:
            predicted = model(x, timesteps, weapon, style)
        x = scheduler.step(predicted, t, x).prev_sample
    pixels = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).numpy()


def to_model_range(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, H, W, 3) as float32 (N, 3, H, W) in [-1, 1]."""
    return (images.astype(np.float32) / 127.5 - 1.0).transpose(0, 3, 1, 2).copy()


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
