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

from resources.torch_cpu import use_bf16

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
    # Self-attention at the lowest level and in the middle block. The defaults of the fields
    # below are the first models' layout, so their saved configs still load.
    attention: bool = True
    mid_block: bool = True
    # "scale_shift": the timestep + condition embedding scales and shifts each ResNet block's
    # normalized features (FiLM) instead of only being added to them.
    time_scale_shift: str = "default"
    # Pixels per side of the patches the UNet sees (2: a 32 px image enters as 16 x 16 cells of
    # 2 x 2 pixels, and leaves the same way).
    patch: int = 1

    @classmethod
    def from_dict(cls, data: dict) -> DiffusionConfig:
        return cls(**{**data, "channels": tuple(data["channels"])})


class PortraitDiffusion(nn.Module):
    """UNet noise predictor conditioned on (weapon type, breathing style) indices."""

    def __init__(self, config: DiffusionConfig) -> None:
        super().__init__()
        self.config = config
        levels = len(config.channels)
        lowest_down = "AttnDownBlock2D" if config.attention else "DownBlock2D"
        lowest_up = "AttnUpBlock2D" if config.attention else "UpBlock2D"
        cells = 3 * config.patch**2
        self.unet = UNet2DModel(
            sample_size=config.image_size // config.patch,
            in_channels=cells + 2 * config.condition_channels,
            out_channels=cells,
            layers_per_block=config.layers_per_block,
            block_out_channels=config.channels,
            down_block_types=("DownBlock2D",) * (levels - 1) + (lowest_down,),
            up_block_types=(lowest_up,) + ("UpBlock2D",) * (levels - 1),
            mid_block_type="UNetMidBlock2D" if config.mid_block else None,
            add_attention=config.attention,
            norm_num_groups=8,
            class_embed_type="identity",
            resnet_time_scale_shift=config.time_scale_shift,
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
        if self.config.patch > 1:
            noisy = nn.functional.pixel_unshuffle(noisy, self.config.patch)
        if self.weapon_maps is not None:
            maps = torch.cat([self.weapon_maps(weapon), self.style_maps(style)], dim=1)
            height, width = noisy.shape[-2:]
            noisy = torch.cat([noisy, maps[:, :, None, None].expand(-1, -1, height, width)], 1)
        out = self.unet(noisy, timesteps, class_labels=condition).sample
        if self.config.patch > 1:
            out = nn.functional.pixel_shuffle(out, self.config.patch)
        return out

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
    warmup: int = 200  # steps of linear warm-up (at most a tenth of the run), then cosine decay
    # Share of examples trained without their condition (for classifier-free guidance).
    drop_condition: float = 0.1
    # Sampling uses an exponential moving average of the weights (far less noisy samples after
    # a short training than the last step's weights).
    ema_decay: float = 0.995
    # Where on the noise scale training spends its examples: "uniform" over the timesteps, or
    # "logit_normal" (t / T = sigmoid(N(mean, std)): mostly mid noise, where the shapes form).
    timesteps: str = "uniform"
    timestep_mean: float = 0.0
    timestep_std: float = 1.0
    # Min-SNR-gamma loss weighting (0: none).
    min_snr_gamma: float = 0.0
    # Forward pass in bfloat16 where the CPU does it natively ("auto"), always, or never.
    bf16: str = "never"
    seed: int = 0


def draw_timesteps(
    settings: TrainSettings, total: int, n: int, generator: torch.Generator
) -> torch.Tensor:
    if settings.timesteps == "uniform":
        return torch.randint(0, total, (n,), generator=generator)
    if settings.timesteps == "logit_normal":
        u = torch.sigmoid(
            settings.timestep_mean + settings.timestep_std * torch.randn(n, generator=generator)
        )
        return (u * total).long().clamp(0, total - 1)
    raise ValueError(f"unknown timestep sampling {settings.timesteps!r}")


def loss_weights(
    schedule: DDPMScheduler, prediction: str, timesteps: torch.Tensor, gamma: float
) -> torch.Tensor | None:
    """Min-SNR-gamma weights for each example's loss (None: equal weights)."""
    if gamma <= 0:
        return None
    alpha_bar = schedule.alphas_cumprod[timesteps]
    snr = alpha_bar / (1 - alpha_bar)
    clipped = snr.clamp(max=gamma)
    if prediction == "sample":
        return clipped
    if prediction == "epsilon":
        return clipped / snr
    return clipped / (snr + 1)


def train(
    model: PortraitDiffusion,
    images: np.ndarray,
    weapons: np.ndarray,
    styles: np.ndarray,
    settings: TrainSettings,
    progress: Callable[[str], None] = lambda _: None,
) -> list[float]:
    """Fit the denoiser on images in [-1, 1] (N, 3, H, W), leaving the model with its averaged
    weights; returns the mean loss of every 100 steps."""
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    schedule = noise_schedule(model.config)
    total = schedule.config.num_train_timesteps
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=0.0)
    warmup = max(1, min(settings.warmup, settings.steps // 10 + 1))
    lr_at = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: (
            min(1.0, (step + 1) / warmup)
            * 0.5
            * (1 + np.cos(np.pi * min(step, settings.steps) / settings.steps))
        ),
    )
    bf16 = use_bf16(settings.bf16)
    data = torch.from_numpy(images)
    weapon_t, style_t = torch.from_numpy(weapons).long(), torch.from_numpy(styles).long()
    params = [p for p in model.parameters()]
    ema = [p.detach().clone() for p in params]
    model.train()
    losses, running, started = [], 0.0, time.monotonic()
    for step in range(settings.steps):
        batch = torch.from_numpy(rng.integers(0, len(data), settings.batch_size))
        clean = data[batch]
        weapon, style = weapon_t[batch].clone(), style_t[batch].clone()
        dropped = torch.from_numpy(rng.random(settings.batch_size) < settings.drop_condition)
        weapon[dropped], style[dropped] = model.config.n_weapons, model.config.n_styles
        noise = torch.randn(clean.shape, generator=generator)
        timesteps = draw_timesteps(settings, total, len(clean), generator)
        noisy = schedule.add_noise(clean, noise, timesteps)
        target = prediction_target(schedule, model.config.prediction, clean, noise, timesteps)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            predicted = model(noisy, timesteps, weapon, style)
        errors = (predicted.float() - target).pow(2).mean(dim=(1, 2, 3))
        weights = loss_weights(schedule, model.config.prediction, timesteps, settings.min_snr_gamma)
        loss = errors.mean() if weights is None else (weights * errors).sum() / weights.sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        lr_at.step()
        with torch.no_grad():
            decay = min(settings.ema_decay, (1 + step) / (10 + step))
            torch._foreach_lerp_(ema, [p.detach() for p in params], 1 - decay)
        running += float(errors.mean().detach())
        if (step + 1) % 100 == 0 or step + 1 == settings.steps:
            losses.append(running / (step % 100 + 1))
            running = 0.0
            elapsed = time.monotonic() - started
            left = elapsed / (step + 1) * (settings.steps - step - 1)
            progress(
                f"portrait model: step {step + 1}/{settings.steps}, loss {losses[-1]:.4f}, "
                f"{elapsed:.0f} s, about {left:.0f} s left"
            )
    with torch.no_grad():
        for p, averaged in zip(params, ema, strict=True):
            p.copy_(averaged)
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
    eta: float = 0.0,
) -> np.ndarray:
    """Generated images (N, H, W, 3) uint8 for each (weapon, style) pair; an index equal to the
    table size means no condition. DDIM with classifier-free guidance; `eta` 0 is deterministic
    after the first noise, 1 draws fresh noise at every step as DDPM does (from `seed` too)."""
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
        x = scheduler.step(predicted, t, x, eta=eta, generator=generator).prev_sample
    pixels = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).numpy()


def to_model_range(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, H, W, 3) as float32 (N, 3, H, W) in [-1, 1]."""
    return (images.astype(np.float32) / 127.5 - 1.0).transpose(0, 3, 1, 2).copy()


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
