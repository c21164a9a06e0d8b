"""Pictures: deterministic product images, slayer scenes, the portrait model, its judge and gate,
and the generator chain with its fallback."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from hashira_assets.images.diffusion import (
    DiffusionConfig,
    PortraitDiffusion,
    TrainSettings,
    noise_schedule,
    prediction_target,
    sample,
    to_model_range,
    train,
)
from hashira_assets.images.palettes import (
    RARITY_FRAMES,
    STYLE_PALETTES,
    WEAPON_TYPES,
    style_name,
    type_code,
)
from hashira_assets.images.product_images import build_images_table
from hashira_assets.images.render import product_image, scene_set
from hashira_assets.images.training import nearest_rmse, requests
from hashira_assets.raw.vocabulary import BREATHING_STYLES, PRODUCT_TYPES, RARITIES
from hashira_serving.errors import NotMaterializedError
from hashira_serving.portraits import (
    InvalidPortraitRequest,
    PortraitRequest,
    StableDiffusionGenerator,
    generate_portrait,
)

# A model small enough to train in seconds: 16 px, two levels.
SMALL = DiffusionConfig(image_size=16, channels=(8, 16), condition_channels=4)


def _product(pid: int, type_label: str = "Katana", style: str = "Water", rarity: str = "rare"):
    return {"product_id": pid, "product_type": type_label, "breathing_style": style,
            "rarity": rarity}  # fmt: skip


def test_every_product_type_style_and_rarity_draws_and_the_same_product_draws_the_same():
    for i, kind in enumerate(PRODUCT_TYPES):
        for style in BREATHING_STYLES:
            image = product_image(i, kind.label, style, RARITIES[i % 4], size=48)
            assert image.size == (48, 48)
    first = product_image(7, "Nodachi", "Flame", "epic").tobytes()
    assert product_image(7, "Nodachi", "Flame", "epic").tobytes() == first
    # Another product of the same kind gets its own background, another rarity its own frame.
    assert product_image(8, "Nodachi", "Flame", "epic").tobytes() != first
    legendary = np.asarray(product_image(7, "Nodachi", "Flame", "legendary"))
    gold = np.array(RARITY_FRAMES["legendary"][0])
    assert np.abs(legendary[0, legendary.shape[1] // 2].astype(int) - gold).max() < 30


def test_type_and_style_names_are_forgiving_and_unknown_ones_are_refused():
    assert type_code("Whip Sword") == type_code("whip_sword") == "whip_sword"
    assert style_name("water breathing") == "Water"
    with pytest.raises(ValueError, match="unknown product type"):
        type_code("bazooka")
    with pytest.raises(ValueError, match="unknown breathing style"):
        style_name("Fire")


def test_product_images_redraw_only_what_changed():
    products = [_product(1), _product(2, "Haori", "Mist", "common")]
    table, drawn = build_images_table(products, {})
    assert drawn == 2 and table["product_id"].to_pylist() == [1, 2]
    for data in table["image"].to_pylist():
        assert Image.open(io.BytesIO(data)).format == "WEBP"
    previous = {
        pid: (key, img)
        for pid, key, img in zip(*(table[c].to_pylist() for c in table.column_names), strict=True)
    }
    changed = [_product(1), _product(2, "Haori", "Mist", "legendary"), _product(3)]
    again, drawn = build_images_table(changed, previous)
    assert drawn == 2  # the changed rarity and the new product
    assert again["image"][0].as_py() == table["image"][0].as_py()
    assert again["image"][1].as_py() != table["image"][1].as_py()


def test_scene_sets_are_fixed_by_their_seed_and_cover_every_pair():
    images, weapons, styles = scene_set(1, seed=5, size=16)
    assert images.shape == (len(WEAPON_TYPES) * len(BREATHING_STYLES), 16, 16, 3)
    assert np.array_equal(scene_set(1, seed=5, size=16)[0], images)
    assert not np.array_equal(scene_set(1, seed=6, size=16)[0], images)
    assert set(zip(weapons, styles, strict=True)) == set(zip(*requests(1), strict=True))
    # The style's sky is the top row's colour.
    water = images[(weapons == 0) & (styles == BREATHING_STYLES.index("Water"))][0]
    top = np.array(STYLE_PALETTES["Water"].sky_top)
    assert np.abs(water[0].astype(int).mean(0) - top).max() < 40


def test_nearest_rmse_finds_copies():
    images, *_ = scene_set(1, seed=1, size=16)
    assert nearest_rmse(images[:5], images).max() == pytest.approx(0.0, abs=1e-3)
    others, *_ = scene_set(1, seed=2, size=16)
    assert nearest_rmse(others[:5], images).min() > 0.02


def denoising_error(model, clean, weapons, styles) -> float:
    """The model's error on one fixed draw of noise and timesteps (the same draw before and
    after training, so the comparison does not ride on which batches training happened to see)."""
    import torch

    generator = torch.Generator().manual_seed(123)
    clean = torch.from_numpy(clean)
    schedule = noise_schedule(model.config)
    noise = torch.randn(clean.shape, generator=generator)
    timesteps = torch.randint(0, schedule.config.num_train_timesteps, (len(clean),),
                              generator=generator)  # fmt: skip
    target = prediction_target(schedule, model.config.prediction, clean, noise, timesteps)
    with torch.no_grad():
        noisy = schedule.add_noise(clean, noise, timesteps)
        predicted = model(noisy, timesteps, torch.from_numpy(weapons).long(),
                          torch.from_numpy(styles).long())  # fmt: skip
    return float((predicted - target).pow(2).mean())


def test_the_diffusion_model_learns_saves_and_samples_by_seed(tmp_path):
    images, weapons, styles = scene_set(2, seed=1, size=16)
    clean = to_model_range(images)
    model = PortraitDiffusion(SMALL)
    before = denoising_error(model.eval(), clean, weapons, styles)
    losses = train(model, clean, weapons, styles, TrainSettings(steps=120, batch_size=16, seed=0))
    after = denoising_error(model, clean, weapons, styles)
    assert after < 0.7 * before, (before, after, losses)
    model.save(tmp_path)
    loaded = PortraitDiffusion.load(tmp_path)
    w, s = np.array([0, 3]), np.array([1, 2])
    one = sample(model, w, s, seed=4, steps=5)
    assert one.shape == (2, 16, 16, 3) and one.dtype == np.uint8
    assert np.array_equal(sample(loaded, w, s, seed=4, steps=5), one)
    assert not np.array_equal(sample(loaded, w, s, seed=5, steps=5), one)


def test_portrait_requests_are_checked():
    assert PortraitRequest("water", "Whip Sword").validated().weapon == "whip_sword"
    with pytest.raises(InvalidPortraitRequest, match="not a weapon"):
        PortraitRequest("Water", "haori").validated()
    with pytest.raises(InvalidPortraitRequest, match="breathing style"):
        PortraitRequest("Lava", "katana").validated()
    with pytest.raises(InvalidPortraitRequest, match="at most"):
        PortraitRequest("Water", "katana", "x" * 500).validated()
    prompt = PortraitRequest("Sun", "katana", "Tanjiro").validated().prompt
    assert prompt == "Tanjiro, Sun Breathing, wielding a Katana, anime style, cinematic"


class _Drawn:
    name = "fixed"

    def generate(self, request, seed):
        return Image.new("RGB", (8, 8), (seed % 256, 0, 0))


class _Missing:
    name = "trained"

    def generate(self, request, seed):
        raise NotMaterializedError("no champion yet")


def test_a_failing_stable_diffusion_falls_back_and_says_so(tmp_path):
    broken = StableDiffusionGenerator(str(tmp_path / "no-model-here"))
    made = generate_portrait(PortraitRequest("Water", "katana", seed=3), [broken, _Drawn()])
    assert made.generator == "fixed" and made.seed == 3
    assert "stable-diffusion" in made.note and "drawn by fixed instead" in made.note
    assert Image.open(io.BytesIO(made.image_png)).getpixel((0, 0)) == (3, 0, 0)
    with pytest.raises(NotMaterializedError, match="no champion yet"):
        generate_portrait(PortraitRequest("Water", "katana"), [_Missing()])
    with pytest.raises(NotMaterializedError, match="No portrait generator"):
        generate_portrait(PortraitRequest("Water", "katana"), [broken, _Missing()])
