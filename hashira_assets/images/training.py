"""Training and scoring the portrait model: renders to learn from, the judge, and the figures.

Three render sets with their own seeds: the model learns from one, the judge from a second, and
the judge's ceiling is measured on a third. Generated portraits are scored by the judge (did it
see the requested weapon and style?) and by their distance to the nearest training render (a
near-copy would mean the model memorized rather than learned).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np

from hashira_assets.images.diffusion import (
    DiffusionConfig,
    PortraitDiffusion,
    TrainSettings,
    parameter_count,
    sample,
    to_model_range,
    train,
)
from hashira_assets.images.judge import PortraitJudge, recognition, train_judge
from hashira_assets.images.palettes import WEAPON_TYPES
from hashira_assets.images.render import scene_set
from hashira_assets.raw.vocabulary import BREATHING_STYLES
from resources.torch_cpu import use_bf16

PORTRAIT_MODEL_NAME = "hashira-slayer-portraits"
# A generated portrait is a near-copy when it is closer to a training render than this share of
# fresh renders (new poses the model never saw) are: closer than what drawing anew gives.
NEAR_COPY_QUANTILE = 0.01


@dataclasses.dataclass(frozen=True)
class ImageModelSettings:
    """The model, its training budget and its evaluation (docs/images.md has the measurements
    behind each choice)."""

    image_size: int = 32
    # The UNet sees 2 x 2 pixel patches (16 x 16 cells at 32 px), has no self-attention and no
    # middle block, and the condition scales and shifts every ResNet block (FiLM).
    channels: tuple[int, ...] = (32, 64, 128)
    patch: int = 2
    attention: bool = False
    time_scale_shift: str = "scale_shift"
    per_class: int = 40  # training renders per (weapon, style) pair
    steps: int = 1000
    batch_size: int = 32
    learning_rate: float = 2e-3
    warmup: int = 60
    ema_decay: float = 0.99
    # Most training examples at mid noise, where the weapon's shape is decided.
    timesteps: str = "logit_normal"
    # bfloat16 forward passes in training where the CPU has native bfloat16 (AVX-512 BF16).
    bf16: str = "auto"
    judge_per_class: int = 40
    judge_epochs: int = 8
    eval_per_class: int = 2  # generated portraits per pair, for the figures
    sample_steps: int = 10
    guidance: float = 2.0
    # DDIM's eta: 1 draws fresh noise at every sampling step (DDPM-like).
    sample_eta: float = 1.0
    seed: int = 0

    def diffusion_config(self) -> DiffusionConfig:
        return DiffusionConfig(
            image_size=self.image_size,
            channels=self.channels,
            patch=self.patch,
            attention=self.attention,
            mid_block=self.attention,
            time_scale_shift=self.time_scale_shift,
        )

    def train_settings(self) -> TrainSettings:
        return TrainSettings(
            steps=self.steps,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            warmup=self.warmup,
            ema_decay=self.ema_decay,
            timesteps=self.timesteps,
            bf16=self.bf16,
            seed=self.seed,
        )


# The budget per world preset: the portraits do not depend on the shop's data, so the preset
# only says how much time the graph may spend (`tiny` keeps the test suite fast).
PRESET_SETTINGS: dict[str, ImageModelSettings] = {
    # 16 px and two levels: learns the styles' colours in seconds, enough to beat chance.
    "tiny": ImageModelSettings(
        image_size=16,
        channels=(16, 32),
        per_class=4,
        steps=150,
        judge_per_class=6,
        judge_epochs=6,
        eval_per_class=1,
        sample_steps=8,
    ),
    "small": ImageModelSettings(),
    "medium": ImageModelSettings(),
    "hm": ImageModelSettings(),
}


@dataclasses.dataclass
class EvaluationSet:
    """What every model of one run is scored on: the judge, the requests and the seed."""

    judge: PortraitJudge
    weapons: np.ndarray
    styles: np.ndarray
    train_images: np.ndarray  # uint8, for the novelty figure
    settings: ImageModelSettings
    # Below this distance to the nearest training render, a portrait counts as a near-copy.
    near_copy_rmse: float


@dataclasses.dataclass
class TrainedImageModel:
    model: PortraitDiffusion
    evaluation: EvaluationSet
    metrics: dict[str, float]
    losses: list[float]


def requests(per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (weapon, style) pair `per_class` times, as index arrays."""
    pairs = [(w, s) for w in range(len(WEAPON_TYPES)) for s in range(len(BREATHING_STYLES))]
    weapons = np.repeat([w for w, _ in pairs], per_class)
    styles = np.repeat([s for _, s in pairs], per_class)
    return weapons, styles


def nearest_rmse(images: np.ndarray, reference: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Each image's root-mean-square pixel distance (0-1 scale) to its nearest reference image."""
    ref = reference.reshape(len(reference), -1).astype(np.float32) / 255.0
    ref_sq = (ref**2).sum(1)
    out = []
    for start in range(0, len(images), chunk):
        part = images[start : start + chunk].reshape(-1, ref.shape[1]).astype(np.float32) / 255.0
        d2 = (part**2).sum(1)[:, None] + ref_sq[None, :] - 2 * part @ ref.T
        out.append(np.sqrt(np.maximum(d2.min(1), 0.0) / ref.shape[1]))
    return np.concatenate(out)


def score_model(model: PortraitDiffusion, evaluation: EvaluationSet) -> dict[str, float]:
    """A model's figures on a run's evaluation set: conditional accuracy of its portraits (the
    gate metric is the mean of weapon and style), the unconditional chance level, novelty."""
    s = evaluation.settings
    generated = sample(
        model,
        evaluation.weapons,
        evaluation.styles,
        seed=s.seed + 7,
        steps=s.sample_steps,
        guidance=s.guidance,
        eta=s.sample_eta,
    )
    conditional = recognition(evaluation.judge, generated, evaluation.weapons, evaluation.styles)
    nulls_w = np.full_like(evaluation.weapons, model.config.n_weapons)
    nulls_s = np.full_like(evaluation.styles, model.config.n_styles)
    free = sample(
        model,
        nulls_w,
        nulls_s,
        seed=s.seed + 8,
        steps=s.sample_steps,
        guidance=1.0,
        eta=s.sample_eta,
    )
    chance = recognition(evaluation.judge, free, evaluation.weapons, evaluation.styles)
    distances = nearest_rmse(generated, evaluation.train_images)
    return {
        "conditional_accuracy": (conditional.weapon + conditional.style) / 2,
        "unconditional_accuracy": (chance.weapon + chance.style) / 2,
        **conditional.as_dict("generated"),
        **chance.as_dict("unconditional"),
        "nearest_train_rmse_min": float(distances.min()),
        "nearest_train_rmse_median": float(np.median(distances)),
        "near_copy_rmse": evaluation.near_copy_rmse,
        "near_copies": float((distances < evaluation.near_copy_rmse).sum()),
    }


def train_image_model(
    settings: ImageModelSettings, progress: Callable[[str], None] = lambda _: None
) -> TrainedImageModel:
    """Render, train the diffusion model and the judge, and score the model (`train_seconds`
    counts the training renders too; `judge_seconds` its renders and its ceiling)."""
    started = time.monotonic()
    images, weapons, styles = scene_set(
        settings.per_class, seed=settings.seed * 3 + 1, size=settings.image_size
    )
    progress(f"portrait model: {len(images):,} training renders")
    config = settings.diffusion_config()
    model = PortraitDiffusion(config)
    losses = train(
        model, to_model_range(images), weapons, styles, settings.train_settings(), progress
    )
    train_seconds = time.monotonic() - started
    judge_started = time.monotonic()
    judge_images, judge_weapons, judge_styles = scene_set(
        settings.judge_per_class, seed=settings.seed * 3 + 2, size=settings.image_size
    )
    judge = train_judge(
        judge_images,
        judge_weapons,
        judge_styles,
        config.n_weapons,
        config.n_styles,
        epochs=settings.judge_epochs,
        seed=settings.seed,
        decay=True,
        bf16=use_bf16(settings.bf16),
    )
    held_out, held_weapons, held_styles = scene_set(
        max(4, settings.eval_per_class), seed=settings.seed * 3 + 3, size=settings.image_size
    )
    ceiling = recognition(judge, held_out, held_weapons, held_styles)
    judge_seconds = time.monotonic() - judge_started
    req_weapons, req_styles = requests(settings.eval_per_class)
    fresh = nearest_rmse(held_out, images)
    near_copy = float(np.quantile(fresh, NEAR_COPY_QUANTILE))
    evaluation = EvaluationSet(judge, req_weapons, req_styles, images, settings, near_copy)
    progress(f"portrait model: scoring {len(req_weapons)} portraits")
    score_started = time.monotonic()
    metrics = score_model(model, evaluation)
    score_seconds = time.monotonic() - score_started
    one = time.monotonic()
    sample(
        model,
        req_weapons[:1],
        req_styles[:1],
        seed=0,
        steps=settings.sample_steps,
        guidance=settings.guidance,
        eta=settings.sample_eta,
    )
    metrics.update(
        **ceiling.as_dict("real"),
        real_nearest_train_rmse_median=float(np.median(fresh)),
        seconds_per_portrait=time.monotonic() - one,
        train_seconds=train_seconds,
        judge_seconds=judge_seconds,
        score_seconds=score_seconds,
        train_images=float(len(images)),
        parameters=float(parameter_count(model)),
        final_loss=losses[-1],
    )
    return TrainedImageModel(model, evaluation, metrics, losses)
