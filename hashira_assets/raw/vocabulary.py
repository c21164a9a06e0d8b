"""The shop's fixed vocabulary: breathing styles, product types, rarities, regions, festivals."""

from __future__ import annotations

import dataclasses

BREATHING_STYLES: tuple[str, ...] = (
    "Water",
    "Flame",
    "Thunder",
    "Wind",
    "Stone",
    "Mist",
    "Serpent",
    "Love",
    "Insect",
    "Sound",
    "Beast",
    "Moon",
    "Sun",
)
# How common each style is among slayers (Water and Thunder schools train the most).
STYLE_SHARES: tuple[float, ...] = (
    0.16,
    0.11,
    0.12,
    0.10,
    0.06,
    0.08,
    0.06,
    0.05,
    0.06,
    0.05,
    0.06,
    0.05,
    0.04,
)


@dataclasses.dataclass(frozen=True)
class ProductType:
    """A kind of product with its physical baseline and whom it suits."""

    code: str
    label: str
    category: str  # "weapon" or "accessory"
    base_weight_kg: float
    base_price: float
    # How much strength, dexterity and stamina the product rewards (sums to 1).
    physique: tuple[float, float, float]
    consumable: bool = False
    # Breathing style whose slayers favour this weapon form, if any.
    signature_style: str | None = None


PRODUCT_TYPES: tuple[ProductType, ...] = (
    ProductType("katana", "Katana", "weapon", 1.2, 180.0, (0.3, 0.5, 0.2)),
    ProductType("nodachi", "Nodachi", "weapon", 2.3, 260.0, (0.6, 0.2, 0.2)),
    ProductType(
        "axe_flail", "Axe and Chain Flail", "weapon", 6.5, 320.0, (0.8, 0.0, 0.2), False, "Stone"
    ),
    ProductType("whip_sword", "Whip Sword", "weapon", 0.9, 240.0, (0.1, 0.8, 0.1), False, "Love"),
    ProductType(
        "twin_cleavers", "Twin Cleavers", "weapon", 3.1, 290.0, (0.5, 0.3, 0.2), False, "Sound"
    ),
    ProductType(
        "serrated_blades",
        "Serrated Twin Blades",
        "weapon",
        2.0,
        210.0,
        (0.4, 0.3, 0.3),
        False,
        "Beast",
    ),
    ProductType(
        "needle_sword", "Needle Sword", "weapon", 0.5, 230.0, (0.0, 0.9, 0.1), False, "Insect"
    ),
    ProductType(
        "serpent_blade", "Serpent Blade", "weapon", 1.3, 220.0, (0.2, 0.6, 0.2), False, "Serpent"
    ),
    ProductType("kunai_set", "Kunai Set", "weapon", 0.7, 60.0, (0.1, 0.6, 0.3)),
    ProductType("scabbard", "Scabbard", "accessory", 0.8, 45.0, (0.3, 0.3, 0.4)),
    ProductType("tsuba", "Tsuba Guard", "accessory", 0.2, 35.0, (0.3, 0.4, 0.3)),
    ProductType("haori", "Haori", "accessory", 0.6, 70.0, (0.2, 0.3, 0.5)),
    ProductType("training_gear", "Training Weights", "accessory", 4.0, 55.0, (0.5, 0.1, 0.4)),
    ProductType("whetstone", "Whetstone", "accessory", 0.4, 18.0, (0.3, 0.4, 0.3), True),
    ProductType("sword_oil", "Sword Oil", "accessory", 0.2, 12.0, (0.3, 0.4, 0.3), True),
    ProductType("wisteria_charm", "Wisteria Charm", "accessory", 0.05, 9.0, (0.2, 0.2, 0.6), True),
)
TYPE_CODES: tuple[str, ...] = tuple(t.code for t in PRODUCT_TYPES)

RARITIES: tuple[str, ...] = ("common", "rare", "epic", "legendary")
RARITY_SHARES: tuple[float, ...] = (0.55, 0.30, 0.12, 0.03)
RARITY_PRICE_FACTOR: tuple[float, ...] = (1.0, 2.2, 5.0, 12.0)

# The ten ranks of the Demon Slayer Corps, lowest first; level 1-100 maps to them in tens.
SLAYER_RANKS: tuple[str, ...] = (
    "Mizunoto",
    "Mizunoe",
    "Kanoto",
    "Kanoe",
    "Tsuchinoto",
    "Tsuchinoe",
    "Hinoto",
    "Hinoe",
    "Kinoto",
    "Kinoe",
)

REGIONS: tuple[str, ...] = (
    "Kanto",
    "Kansai",
    "Tohoku",
    "Chubu",
    "Chugoku",
    "Shikoku",
    "Kyushu",
    "Hokkaido",
)
REGION_SHARES: tuple[float, ...] = (0.30, 0.20, 0.09, 0.14, 0.07, 0.04, 0.11, 0.05)

# (name, month, day, length in days, demand multiplier)
FESTIVALS: tuple[tuple[str, int, int, int, float], ...] = (
    ("New Year", 1, 1, 3, 1.8),
    ("Setsubun", 2, 3, 1, 1.5),
    ("Hanami", 4, 1, 5, 1.3),
    ("Golden Week", 4, 29, 7, 1.5),
    ("Tanabata", 7, 7, 1, 1.6),
    ("Obon", 8, 13, 3, 1.5),
    ("Final Selection", 10, 10, 2, 1.7),
    ("Year-End Sale", 12, 26, 5, 1.6),
)

# Monday first; weekends are when slayers off duty shop.
WEEKDAY_FACTORS: tuple[float, ...] = (0.85, 0.88, 0.92, 0.95, 1.05, 1.30, 1.25)
# Share of a day's sessions that start in each hour (evening peak).
HOUR_SHARES: tuple[float, ...] = (
    1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 1.6, 2.2, 2.6, 2.8, 3.0,
    3.4, 3.2, 3.0, 3.0, 3.2, 3.8, 4.6, 5.6, 6.0, 5.4, 3.8, 2.0,
)  # fmt: skip

FIRST_NAMES: tuple[str, ...] = (
    "Tanjiro", "Zenitsu", "Inosuke", "Kanao", "Genya", "Aoi", "Sumi", "Kiyo", "Naho", "Murata",
    "Ozaki", "Sabito", "Makomo", "Giyu", "Kyojuro", "Tengen", "Mitsuri", "Obanai", "Sanemi",
    "Gyomei", "Muichiro", "Shinobu", "Kanae", "Senjuro", "Hotaru", "Kaigaku", "Yoriichi",
    "Sakonji", "Kotetsu", "Hana", "Ren", "Yui", "Haru", "Sora", "Riku", "Mei", "Kaito", "Akira",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Kamado", "Agatsuma", "Hashibira", "Tsuyuri", "Shinazugawa", "Kanzaki", "Tomioka",
    "Rengoku", "Uzui", "Kanroji", "Iguro", "Himejima", "Tokito", "Kocho", "Haganezuka",
    "Urokodaki", "Tsugikuni", "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito",
    "Yamamoto", "Nakamura", "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Matsumoto",
)  # fmt: skip

PRODUCT_ADJECTIVES: tuple[str, ...] = (
    "Crimson", "Azure", "Silent", "Roaring", "Moonlit", "Dawn", "Tempest", "Iron", "Jade",
    "Ember", "Frost", "Shadow", "Radiant", "Ancient", "Swift", "Verdant", "Obsidian", "Golden",
    "Twilight", "Storm", "Crescent", "Scarlet", "Ivory", "Thousand-Fold", "Wisteria", "Ashen",
    "Celestial", "Hollow", "Rising", "Falling", "Whispering", "Blazing", "Tidal", "Mountain",
    "Lotus", "Phantom", "Steel", "Cherry", "Spirit", "Dragon",
)  # fmt: skip


def rank_for_level(level: int) -> str:
    """The Corps rank that a slayer's level 1-100 corresponds to."""
    return SLAYER_RANKS[(min(max(level, 1), 100) - 1) // 10]
