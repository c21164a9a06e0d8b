"""Colours of the breathing styles and rarities, as the product images and portraits draw them."""

from __future__ import annotations

import dataclasses

from hashira_assets.raw.vocabulary import BREATHING_STYLES, PRODUCT_TYPES, RARITIES

RGB = tuple[int, int, int]


@dataclasses.dataclass(frozen=True)
class StylePalette:
    """A breathing style's sky (top to bottom), its haori and its Nichirin blade colour."""

    sky_top: RGB
    sky_bottom: RGB
    haori: RGB
    blade: RGB


# Chosen so that no two styles share both their sky and their blade hue: a classifier (and a
# shopper) can tell all thirteen apart at 32 px.
STYLE_PALETTES: dict[str, StylePalette] = {
    "Water": StylePalette((18, 52, 120), (70, 150, 220), (40, 90, 200), (120, 200, 255)),
    "Flame": StylePalette((120, 20, 10), (250, 140, 30), (230, 60, 20), (255, 200, 60)),
    "Thunder": StylePalette((60, 50, 10), (240, 220, 60), (250, 200, 0), (255, 255, 140)),
    "Wind": StylePalette((20, 80, 40), (150, 220, 150), (40, 160, 70), (200, 255, 200)),
    "Stone": StylePalette((60, 55, 50), (150, 140, 125), (110, 90, 70), (235, 230, 215)),
    "Mist": StylePalette((170, 190, 200), (235, 240, 245), (150, 200, 210), (240, 250, 255)),
    "Serpent": StylePalette((30, 10, 50), (120, 80, 160), (240, 240, 240), (180, 120, 230)),
    "Love": StylePalette((200, 80, 140), (255, 200, 220), (250, 120, 180), (255, 60, 150)),
    "Insect": StylePalette((90, 60, 140), (200, 170, 240), (120, 220, 190), (160, 80, 220)),
    "Sound": StylePalette((10, 10, 10), (200, 160, 40), (230, 180, 20), (255, 230, 90)),
    "Beast": StylePalette((30, 40, 70), (110, 120, 150), (70, 50, 30), (90, 130, 250)),
    "Moon": StylePalette((5, 5, 30), (60, 30, 90), (120, 40, 120), (210, 160, 255)),
    "Sun": StylePalette((20, 0, 0), (200, 20, 20), (20, 20, 20), (255, 90, 0)),
}
assert tuple(STYLE_PALETTES) == BREATHING_STYLES

# Frame colour and width (in 1/100 of the image) per rarity: rarer items get a bolder frame.
RARITY_FRAMES: dict[str, tuple[RGB, int]] = {
    "common": ((150, 150, 150), 2),
    "rare": ((60, 130, 230), 3),
    "epic": ((160, 70, 220), 4),
    "legendary": ((240, 190, 40), 6),
}
assert tuple(RARITY_FRAMES) == RARITIES

WEAPON_TYPES: tuple[str, ...] = tuple(t.code for t in PRODUCT_TYPES if t.category == "weapon")
TYPE_LABELS: dict[str, str] = {t.code: t.label for t in PRODUCT_TYPES}
LABEL_TO_CODE: dict[str, str] = {t.label.lower(): t.code for t in PRODUCT_TYPES}


def type_code(value: str) -> str:
    """A product type's code from its code or its label ('Katana', 'whip_sword', 'Whip Sword')."""
    text = value.strip().lower()
    if text in TYPE_LABELS:
        return text
    code = LABEL_TO_CODE.get(text) or LABEL_TO_CODE.get(text.replace("_", " "))
    if code is None:
        raise ValueError(
            f"unknown product type {value!r}; expected one of {', '.join(TYPE_LABELS)}"
        )
    return code


def style_name(value: str) -> str:
    """A breathing style's name, case and a trailing ' Breathing' forgiven."""
    text = value.strip().lower().removesuffix(" breathing").strip()
    for style in BREATHING_STYLES:
        if style.lower() == text:
            return style
    raise ValueError(
        f"unknown breathing style {value!r}; expected one of {', '.join(BREATHING_STYLES)}"
    )
