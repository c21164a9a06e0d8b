"""The silhouette of every product type, drawn in a frame attached to the hand that holds it.

A shape is drawn with `draw_item(canvas, code, palette, grip, angle, length)`: the grip is where
the hand is, `angle` (radians, image coordinates) is where the blade points and `length` is the
size of one unit of the shape in pixels. Points below are (u, v): u along the blade from the
grip, v across it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from PIL import ImageDraw

from hashira_assets.images.palettes import RGB, StylePalette

Point = tuple[float, float]

HANDLE: RGB = (40, 30, 30)
WOOD: RGB = (120, 80, 40)
STEEL: RGB = (200, 205, 210)
DARK_STEEL: RGB = (90, 95, 100)


class Frame:
    """Maps shape coordinates (u, v) to pixels for one placed item."""

    def __init__(
        self,
        draw: ImageDraw.ImageDraw,
        grip: Point,
        angle: float,
        length: float,
        min_line: int = 1,
        across: float = 1.0,
    ):
        self.draw = draw
        self.min_line = min_line
        self.across = across
        self.x, self.y = grip
        self.cos, self.sin = math.cos(angle), math.sin(angle)
        self.length = length

    def at(self, u: float, v: float) -> Point:
        return (
            self.x + self.length * (u * self.cos - v * self.across * self.sin),
            self.y + self.length * (u * self.sin + v * self.across * self.cos),
        )

    def polygon(self, points: Sequence[Point], fill: RGB) -> None:
        self.draw.polygon([self.at(u, v) for u, v in points], fill=fill)

    def line(self, points: Sequence[Point], fill: RGB, width: float) -> None:
        pixels = max(self.min_line, round(width * self.across * self.length))
        self.draw.line([self.at(u, v) for u, v in points], fill=fill, width=pixels, joint="curve")

    def disc(self, u: float, v: float, radius: float, fill: RGB, outline: RGB | None = None):
        x, y = self.at(u, v)
        r = radius * self.across * self.length
        self.draw.ellipse(
            (x - r, y - r, x + r, y + r), fill=fill, outline=outline, width=max(1, round(r / 3))
        )

    def rect(self, u0: float, u1: float, v0: float, v1: float, fill: RGB) -> None:
        self.polygon([(u0, v0), (u1, v0), (u1, v1), (u0, v1)], fill)


def _curve(u0: float, u1: float, bend: Callable[[float], float], steps: int = 24) -> list[Point]:
    return [
        (u0 + (u1 - u0) * i / steps, bend(u0 + (u1 - u0) * i / steps)) for i in range(steps + 1)
    ]


def _sword(f: Frame, p: StylePalette, blade_length: float, handle: float, curve: float) -> None:
    f.rect(-handle, 0, -0.035, 0.035, HANDLE)
    back = _curve(0, blade_length, lambda u: -0.04 - curve * (u / blade_length) ** 2)
    edge = _curve(0, blade_length * 0.93, lambda u: 0.035 - curve * (u / blade_length) ** 2)
    f.polygon([*back, (blade_length, -curve - 0.01), *edge[::-1]], p.blade)
    f.line(back, STEEL, 0.02)
    f.rect(-0.02, 0.02, -0.09, 0.09, DARK_STEEL)


def katana(f: Frame, p: StylePalette) -> None:
    _sword(f, p, 1.0, 0.25, 0.08)


def nodachi(f: Frame, p: StylePalette) -> None:
    _sword(f, p, 1.6, 0.4, 0.12)


def axe_flail(f: Frame, p: StylePalette) -> None:
    f.line([(-0.25, 0), (0.85, 0)], WOOD, 0.06)
    f.polygon([(0.55, -0.02), (0.88, -0.02), (0.98, -0.36), (0.72, -0.3), (0.45, -0.36)], p.blade)
    f.polygon([(0.6, 0.02), (0.82, 0.02), (0.78, 0.14), (0.64, 0.14)], DARK_STEEL)
    chain = [(-0.25 - 0.08 * i, 0.06 * i + 0.012 * i * i) for i in range(1, 7)]
    for u, v in chain:
        f.disc(u, v, 0.03, DARK_STEEL)
    f.disc(chain[-1][0] - 0.1, chain[-1][1] + 0.08, 0.12, DARK_STEEL, outline=p.blade)


def whip_sword(f: Frame, p: StylePalette) -> None:
    f.rect(-0.22, 0, -0.035, 0.035, HANDLE)
    f.line(_curve(0, 1.25, lambda u: 0.09 * math.sin(5 * math.pi * u) * u), p.blade, 0.035)


def twin_cleavers(f: Frame, p: StylePalette) -> None:
    for side in (-0.32, 0.32):
        f.rect(-0.22, 0, side - 0.03, side + 0.03, HANDLE)
        f.polygon(
            [(0, side - 0.04), (0.6, side - 0.04), (0.66, side + 0.24), (0, side + 0.24)], p.blade
        )
        f.line([(0.02, side + 0.22), (0.64, side + 0.22)], STEEL, 0.03)


def serrated_blades(f: Frame, p: StylePalette) -> None:
    for side in (-0.3, 0.3):
        f.rect(-0.2, 0, side - 0.03, side + 0.03, HANDLE)
        teeth = [(0.08 * i, side + (0.14 if i % 2 else 0.06)) for i in range(10)]
        f.polygon([(0, side - 0.05), (0.8, side - 0.02), *teeth[::-1]], p.blade)


def needle_sword(f: Frame, p: StylePalette) -> None:
    f.rect(-0.2, 0, -0.03, 0.03, HANDLE)
    f.line([(0, 0), (0.95, 0)], p.blade, 0.018)
    f.disc(0, 0, 0.09, DARK_STEEL, outline=p.blade)


def serpent_blade(f: Frame, p: StylePalette) -> None:
    f.rect(-0.22, 0, -0.035, 0.035, HANDLE)
    f.line(_curve(0, 1.05, lambda u: 0.16 * math.sin(2 * math.pi * u)), p.blade, 0.07)


def kunai_set(f: Frame, p: StylePalette) -> None:
    for tilt in (-0.45, 0.0, 0.45):
        c, s = math.cos(tilt), math.sin(tilt)

        def rot(u: float, v: float, c: float = c, s: float = s) -> Point:
            return (u * c - v * s, u * s + v * c)

        f.disc(*rot(-0.08, 0), 0.04, None, outline=DARK_STEEL)
        f.polygon([rot(0, 0), rot(0.12, -0.06), rot(0.42, 0), rot(0.12, 0.06)], p.blade)


def scabbard(f: Frame, p: StylePalette) -> None:
    f.line([(-0.1, 0), (1.1, 0)], HANDLE, 0.12)
    for u in (0.1, 0.45, 0.8):
        f.rect(u, u + 0.06, -0.06, 0.06, p.blade)
    f.rect(1.05, 1.12, -0.05, 0.05, DARK_STEEL)


def tsuba(f: Frame, p: StylePalette) -> None:
    f.disc(0.5, 0, 0.45, DARK_STEEL, outline=p.blade)
    for k in range(6):
        a = k * math.pi / 3
        f.disc(0.5 + 0.3 * math.cos(a), 0.3 * math.sin(a), 0.06, p.blade)
    f.rect(0.42, 0.58, -0.12, 0.12, HANDLE)


def haori(f: Frame, p: StylePalette) -> None:
    body = [(0.0, -0.3), (0.0, 0.3), (0.15, 0.75), (1.0, 0.7), (1.0, -0.7), (0.15, -0.75)]
    f.polygon(body, p.haori)
    for k in range(4):
        u = 0.3 + 0.17 * k
        f.polygon([(u, -0.5), (u + 0.08, -0.4), (u, -0.3)], p.blade)
        f.polygon([(u, 0.3), (u + 0.08, 0.4), (u, 0.5)], p.blade)
    f.line([(0.0, 0.0), (1.0, 0.0)], HANDLE, 0.03)


def training_gear(f: Frame, p: StylePalette) -> None:
    f.line([(0, 0), (1, 0)], DARK_STEEL, 0.06)
    for u in (0.12, 0.88):
        f.rect(u - 0.08, u + 0.08, -0.3, 0.3, HANDLE)
        f.rect(u - 0.03, u + 0.03, -0.3, 0.3, p.blade)


def whetstone(f: Frame, p: StylePalette) -> None:
    f.rect(0, 1, -0.22, 0.22, (110, 110, 105))
    f.rect(0, 1, -0.22, -0.08, (170, 170, 160))
    f.rect(0.0, 1.0, 0.16, 0.22, p.blade)


def sword_oil(f: Frame, p: StylePalette) -> None:
    f.rect(0.0, 0.6, -0.28, 0.28, (200, 170, 90))
    f.rect(0.6, 0.85, -0.08, 0.08, (200, 170, 90))
    f.rect(0.85, 0.98, -0.11, 0.11, p.blade)
    f.rect(0.15, 0.45, -0.2, 0.2, p.haori)


def wisteria_charm(f: Frame, p: StylePalette) -> None:
    f.line([(-0.1, 0), (0.45, 0)], p.blade, 0.03)
    for k, (u, v) in enumerate(
        [
            (0.5, 0),
            (0.6, -0.12),
            (0.6, 0.12),
            (0.72, -0.06),
            (0.72, 0.06),
            (0.84, 0),
            (0.95, -0.05),
            (0.95, 0.05),
        ]
    ):
        f.disc(u, v, 0.1 - 0.006 * k, (170, 110, 210), outline=(120, 60, 170))
    f.line([(0.3, 0.0), (0.4, 0.2), (0.3, 0.35)], p.haori, 0.03)


DRAWERS: dict[str, Callable[[Frame, StylePalette], None]] = {
    "katana": katana,
    "nodachi": nodachi,
    "axe_flail": axe_flail,
    "whip_sword": whip_sword,
    "twin_cleavers": twin_cleavers,
    "serrated_blades": serrated_blades,
    "needle_sword": needle_sword,
    "serpent_blade": serpent_blade,
    "kunai_set": kunai_set,
    "scabbard": scabbard,
    "tsuba": tsuba,
    "haori": haori,
    "training_gear": training_gear,
    "whetstone": whetstone,
    "sword_oil": sword_oil,
    "wisteria_charm": wisteria_charm,
}
# How long each shape is in its own units, so a product image can centre and fit it.
EXTENT: dict[str, tuple[float, float]] = {
    "katana": (-0.25, 1.0),
    "nodachi": (-0.4, 1.6),
    "axe_flail": (-0.9, 1.0),
    "whip_sword": (-0.22, 1.25),
    "twin_cleavers": (-0.22, 0.66),
    "serrated_blades": (-0.2, 0.8),
    "needle_sword": (-0.2, 0.95),
    "serpent_blade": (-0.22, 1.05),
    "kunai_set": (-0.12, 0.42),
    "scabbard": (-0.1, 1.12),
    "tsuba": (0.05, 0.95),
    "haori": (0.0, 1.0),
    "training_gear": (0.0, 1.0),
    "whetstone": (0.0, 1.0),
    "sword_oil": (0.0, 0.98),
    "wisteria_charm": (-0.1, 1.05),
}


def draw_item(
    draw: ImageDraw.ImageDraw,
    code: str,
    palette: StylePalette,
    grip: Point,
    angle: float,
    length: float,
    min_line: int = 1,
    across: float = 1.0,
) -> None:
    """Draw one product type's silhouette held at `grip`, pointing along `angle`; no line thinner
    than `min_line` pixels, so thin blades survive being shrunk; `across` widens every shape
    across its length (blades, waves, guards) without lengthening it."""
    DRAWERS[code](Frame(draw, grip, angle, length, min_line, across), palette)
