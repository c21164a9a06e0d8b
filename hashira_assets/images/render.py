"""Deterministic renders: a product's picture from its attributes, and slayer scenes to learn from.

Both are drawn at several times their size and shrunk, which smooths the edges.
"""

from __future__ import annotations

import hashlib
import io
import math

import numpy as np
from PIL import Image, ImageDraw

from hashira_assets.images.palettes import (
    RARITY_FRAMES,
    RGB,
    STYLE_PALETTES,
    WEAPON_TYPES,
    type_code,
)
from hashira_assets.images.shapes import EXTENT, draw_item
from hashira_assets.raw.vocabulary import BREATHING_STYLES

PRODUCT_IMAGE_SIZE = 192
# Bumped when a drawing changes, so `product_images` draws every product again.
RENDER_VERSION = 1
SUPERSAMPLE = 3
# Portraits widen the weapon across its length: at 32 px a katana's curve, a whip sword's waves
# and a needle sword's thinness are otherwise a pixel or less, and a model trained for minutes
# on the CPU draws them all as one blurred blade.
SCENE_ACROSS = 1.8
SKIN: RGB = (240, 200, 165)
HAIR: RGB = (25, 20, 25)


def _sky(size: int, top: RGB, bottom: RGB) -> Image.Image:
    ramp = np.linspace(0.0, 1.0, size)[:, None, None]
    pixels = (1 - ramp) * np.array(top) + ramp * np.array(bottom)
    return Image.fromarray(np.repeat(pixels, size, axis=1).astype(np.uint8), "RGB")


def product_seed(product_id: int) -> int:
    """A product's own seed: the same product always gets the same picture."""
    return int.from_bytes(hashlib.sha256(f"product-{product_id}".encode()).digest()[:8], "little")


def product_image(
    product_id: int,
    product_type: str,
    breathing_style: str,
    rarity: str,
    size: int = PRODUCT_IMAGE_SIZE,
) -> Image.Image:
    """A product's picture: its type's silhouette in its style's colours, in its rarity's frame."""
    rng = np.random.default_rng(product_seed(product_id))
    code = type_code(product_type)
    palette = STYLE_PALETTES[breathing_style]
    big = size * SUPERSAMPLE
    image = _sky(big, palette.sky_top, palette.sky_bottom)
    draw = ImageDraw.Draw(image)
    # Faint rings behind the item, placed per product so two katanas of one style still differ.
    for _ in range(3):
        x, y, r = rng.uniform(0, big), rng.uniform(0, big), rng.uniform(0.1, 0.3) * big
        draw.ellipse((x - r, y - r, x + r, y + r), outline=palette.haori, width=big // 60)
    angle = -math.pi / 4 + rng.uniform(-0.12, 0.12)
    lo, hi = EXTENT[code]
    length = 0.78 * big / (hi - lo)
    mid = (lo + hi) / 2 * length
    centre = big / 2
    grip = (centre - mid * math.cos(angle), centre - mid * math.sin(angle))
    draw_item(draw, code, palette, grip, angle, length)
    colour, width = RARITY_FRAMES[rarity]
    frame = max(1, width * big // 100)
    draw.rectangle((0, 0, big - 1, big - 1), outline=colour, width=frame)
    if rarity == "legendary":
        for cx, cy in ((0, 0), (big, 0), (0, big), (big, big)):
            r = 4 * frame
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def slayer_scene(style: str, weapon: str, rng: np.random.Generator, size: int = 32) -> Image.Image:
    """A slayer's portrait (head and shoulders) with `weapon` raised across the picture, in
    `style`'s colours; the pose (place, size, side, angle of the weapon) is drawn from `rng`.

    The weapon is the biggest thing in the picture: at 32 px a blade held at the hip is a few
    pixels, and neither a model nor a shopper could tell a katana from a nodachi."""
    palette = STYLE_PALETTES[style]
    big = size * 4
    image = _sky(big, palette.sky_top, palette.sky_bottom)
    draw = ImageDraw.Draw(image)
    x = big * rng.uniform(0.44, 0.56)
    scale = rng.uniform(0.93, 1.07)
    shoulder_y = big * rng.uniform(0.74, 0.79)
    half = 0.26 * big * scale
    draw.polygon(
        [
            (x - half, shoulder_y),
            (x + half, shoulder_y),
            (x + 1.3 * half, big),
            (x - 1.3 * half, big),
        ],
        fill=palette.haori,
    )
    head = 0.13 * big * scale
    top = shoulder_y - 2.1 * head
    draw.ellipse((x - head, top, x + head, top + 2 * head), fill=SKIN)
    draw.pieslice((x - head, top - 0.1 * head, x + head, top + 1.9 * head), 180, 360, fill=HAIR)
    facing = 1 if rng.random() < 0.5 else -1
    hand = (x + facing * half * rng.uniform(0.55, 0.85), shoulder_y + rng.uniform(0.0, 0.08) * big)
    # Raised diagonally away from the head: mostly upwards, never along the shoulders.
    tilt = rng.uniform(-1.1, -0.8)
    angle = tilt if facing == 1 else math.pi - tilt
    length = rng.uniform(0.6, 0.65) * big
    code = type_code(weapon)
    draw_item(draw, code, palette, hand, angle, length, min_line=6, across=SCENE_ACROSS)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def png_bytes(image: Image.Image) -> bytes:
    """An image as PNG bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def scene_set(
    per_class: int, seed: int, size: int = 32
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`per_class` scenes of every (weapon type, style) pair: images (N, size, size, 3) uint8
    and the weapon and style index of each. One seed gives one set; other seeds, other poses."""
    rng = np.random.default_rng(seed)
    images, weapons, styles = [], [], []
    for w, weapon in enumerate(WEAPON_TYPES):
        for s, style in enumerate(BREATHING_STYLES):
            for _ in range(per_class):
                images.append(np.asarray(slayer_scene(style, weapon, rng, size)))
                weapons.append(w)
                styles.append(s)
    return np.stack(images), np.array(weapons, np.int64), np.array(styles, np.int64)
