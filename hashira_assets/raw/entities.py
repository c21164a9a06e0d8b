"""Customers and products of the synthetic world: observable attributes plus latent truth.

Ids are assigned in time order (customers by signup, products by launch), so the customers
signed up by a day, or the products launched by it, are always a prefix of the id range.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pyarrow as pa

from hashira_assets.raw import vocabulary as voc
from hashira_assets.raw.world_config import WorldConfig

TASTE_DIM = 6
N_STYLES = len(voc.BREATHING_STYLES)
N_TYPES = len(voc.PRODUCT_TYPES)

_TYPE_PHYSIQUE = np.array([t.physique for t in voc.PRODUCT_TYPES], dtype=np.float32)
_TYPE_BASE_PRICE = np.array([t.base_price for t in voc.PRODUCT_TYPES], dtype=np.float64)
_TYPE_WEIGHT = np.array([t.base_weight_kg for t in voc.PRODUCT_TYPES], dtype=np.float64)
_TYPE_IS_WEAPON = np.array([t.category == "weapon" for t in voc.PRODUCT_TYPES])
TYPE_IS_CONSUMABLE = np.array([t.consumable for t in voc.PRODUCT_TYPES])


@dataclasses.dataclass
class Customers:
    """All customers as column arrays; index = customer_id."""

    style: np.ndarray  # int8 index into BREATHING_STYLES
    level: np.ndarray  # int16 1..100
    physique: np.ndarray  # float32 (n, 3): strength, dexterity, stamina in [0, 1]
    region: np.ndarray  # int8
    signup_day: np.ndarray  # int32 day offset from start (negative: before the window)
    taste: np.ndarray  # float32 (n, TASTE_DIM)
    price_sensitivity: np.ndarray  # float32 > 0
    activity: np.ndarray  # float32 relative session rate
    repurchase_habit: np.ndarray  # float32 in [0, 1]
    type_logit: np.ndarray  # float32 (n, N_TYPES): how much each product type appeals

    def __len__(self) -> int:
        return len(self.style)


@dataclasses.dataclass
class Products:
    """All products as column arrays; index = product_id."""

    style: np.ndarray  # int8
    type_idx: np.ndarray  # int8 index into PRODUCT_TYPES
    rarity: np.ndarray  # int8 index into RARITIES
    weight_kg: np.ndarray  # float32
    sharpness: np.ndarray  # int16 0..100 (accessories: 0)
    price: np.ndarray  # float64 list price
    stock: np.ndarray  # int32
    launch_day: np.ndarray  # int32 day offset from start
    vector: np.ndarray  # float32 (n, TASTE_DIM)
    log_popularity: np.ndarray  # float32
    name: list[str]

    def __len__(self) -> int:
        return len(self.style)

    @property
    def group(self) -> np.ndarray:
        """Choice group of each product: one per (breathing style, product type)."""
        return self.style.astype(np.int32) * N_TYPES + self.type_idx.astype(np.int32)

    @property
    def log_relative_price(self) -> np.ndarray:
        """Log of price over its type's base price; what price-sensitive slayers shy away from."""
        return np.log(self.price / _TYPE_BASE_PRICE[self.type_idx]).astype(np.float32)


def _sorted_days(rng: np.random.Generator, n: int, n_days: int, share_before: float) -> np.ndarray:
    """Day offsets for n entities: a share before the window, the rest skewed to recent days."""
    before = rng.random(n) < share_before
    days = np.where(
        before,
        -rng.integers(1, 730, size=n),
        # sqrt of a uniform skews signups and launches towards the end, as a growing shop sees.
        np.floor(np.sqrt(rng.random(n)) * n_days).astype(np.int64),
    )
    return np.sort(days).astype(np.int32)


def make_customers(config: WorldConfig, rng: np.random.Generator) -> Customers:
    """Draw every customer's profile and latent tastes."""
    n = config.n_customers
    style = rng.choice(N_STYLES, size=n, p=np.array(voc.STYLE_SHARES) / sum(voc.STYLE_SHARES))
    level = np.clip(np.round(rng.gamma(2.2, 14.0, size=n)), 1, 100).astype(np.int16)
    # Physique grows with level and has a personal balance between the three attributes.
    balance = rng.dirichlet((2.0, 2.0, 2.0), size=n)
    physique = np.clip(0.25 + 0.5 * (level[:, None] / 100.0) + 0.6 * (balance - 1 / 3), 0, 1)
    type_logit = 3.0 * (physique / physique.sum(1, keepdims=True)) @ _TYPE_PHYSIQUE.T
    # Signature weapons of one's own style appeal more; every slayer needs some accessories.
    for t, ptype in enumerate(voc.PRODUCT_TYPES):
        if ptype.signature_style is not None:
            sig = voc.BREATHING_STYLES.index(ptype.signature_style)
            type_logit[:, t] += np.where(style == sig, 1.5, -0.8)
    type_logit += rng.normal(0.0, 0.5, size=type_logit.shape)
    return Customers(
        style=style.astype(np.int8),
        level=level,
        physique=physique.astype(np.float32),
        region=rng.choice(
            len(voc.REGIONS), size=n, p=np.array(voc.REGION_SHARES) / sum(voc.REGION_SHARES)
        ).astype(np.int8),
        signup_day=_sorted_days(rng, n, config.n_days, share_before=0.6),
        taste=rng.normal(0.0, 1.0, size=(n, TASTE_DIM)).astype(np.float32),
        price_sensitivity=rng.lognormal(0.0, 0.4, size=n).astype(np.float32),
        activity=rng.lognormal(0.0, 0.9, size=n).astype(np.float32),
        repurchase_habit=rng.beta(2.0, 5.0, size=n).astype(np.float32),
        type_logit=type_logit.astype(np.float32),
    )


def make_products(config: WorldConfig, rng: np.random.Generator) -> Products:
    """Draw the catalog: attributes, prices, launch days and latent appeal."""
    n = config.n_products
    style = rng.choice(N_STYLES, size=n).astype(np.int8)
    type_share = np.where(
        _TYPE_IS_WEAPON, 0.6 / _TYPE_IS_WEAPON.sum(), 0.4 / (~_TYPE_IS_WEAPON).sum()
    )
    type_idx = rng.choice(N_TYPES, size=n, p=type_share).astype(np.int8)
    # Signature weapon forms are mostly made for their own style.
    for t, ptype in enumerate(voc.PRODUCT_TYPES):
        if ptype.signature_style is not None:
            mask = (type_idx == t) & (rng.random(n) < 0.7)
            style[mask] = voc.BREATHING_STYLES.index(ptype.signature_style)
    rarity = rng.choice(len(voc.RARITIES), size=n, p=voc.RARITY_SHARES).astype(np.int8)
    price_factor = np.array(voc.RARITY_PRICE_FACTOR)[rarity]
    price = np.round(_TYPE_BASE_PRICE[type_idx] * price_factor * rng.lognormal(0, 0.25, n), 2)
    weight = _TYPE_WEIGHT[type_idx] * rng.lognormal(0, 0.15, n)
    sharpness = np.where(
        _TYPE_IS_WEAPON[type_idx],
        np.clip(np.round(rng.normal(62 + 9 * rarity, 8)), 20, 100),
        0,
    ).astype(np.int16)
    stock = np.where(rng.random(n) < 0.06, 0, rng.integers(1, 250, size=n)).astype(np.int32)
    launch_day = _sorted_days(rng, n, config.n_days, share_before=0.7)
    return Products(
        style=style,
        type_idx=type_idx,
        rarity=rarity,
        weight_kg=np.round(weight, 2).astype(np.float32),
        sharpness=sharpness,
        price=price,
        stock=stock,
        launch_day=launch_day,
        vector=rng.normal(0.0, 0.8, size=(n, TASTE_DIM)).astype(np.float32),
        log_popularity=rng.normal(0.0, 0.8, size=n).astype(np.float32),
        name=_product_names(style, type_idx, rng),
    )


def _product_names(style: np.ndarray, type_idx: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Unique names such as "Crimson Mist Katana"; repeats get a model mark ("Mk II")."""
    adjectives = rng.integers(0, len(voc.PRODUCT_ADJECTIVES), size=len(style))
    seen: dict[str, int] = {}
    names = []
    for adj, s, t in zip(adjectives, style, type_idx, strict=True):
        base = (
            f"{voc.PRODUCT_ADJECTIVES[adj]} {voc.BREATHING_STYLES[s]} {voc.PRODUCT_TYPES[t].label}"
        )
        count = seen.get(base, 0) + 1
        seen[base] = count
        names.append(base if count == 1 else f"{base} Mk {count}")
    return names


def customers_table(
    customers: Customers, config: WorldConfig, rng: np.random.Generator
) -> pa.Table:
    """The observable customer table (latent tastes stay out of it)."""
    n = len(customers)
    first = rng.integers(0, len(voc.FIRST_NAMES), size=n)
    last = rng.integers(0, len(voc.LAST_NAMES), size=n)
    start = np.datetime64(config.start_date, "D")
    return pa.table(
        {
            "customer_id": pa.array(np.arange(n, dtype=np.int32)),
            "name": [
                f"{voc.FIRST_NAMES[f]} {voc.LAST_NAMES[la]}"
                for f, la in zip(first, last, strict=True)
            ],
            "breathing_style": pa.array(np.array(voc.BREATHING_STYLES)[customers.style]),
            "level": pa.array(customers.level),
            "slayer_rank": pa.array([voc.SLAYER_RANKS[(lv - 1) // 10] for lv in customers.level]),
            "strength": pa.array(np.round(customers.physique[:, 0], 3)),
            "dexterity": pa.array(np.round(customers.physique[:, 1], 3)),
            "stamina": pa.array(np.round(customers.physique[:, 2], 3)),
            "region": pa.array(np.array(voc.REGIONS)[customers.region]),
            "signup_date": pa.array(start + customers.signup_day.astype("timedelta64[D]")),
        }
    )


def products_table(products: Products, config: WorldConfig, descriptions: list[str]) -> pa.Table:
    """The observable catalog table."""
    start = np.datetime64(config.start_date, "D")
    types = voc.PRODUCT_TYPES
    return pa.table(
        {
            "product_id": pa.array(np.arange(len(products), dtype=np.int32)),
            "name": products.name,
            "product_type": [types[t].label for t in products.type_idx],
            "department": [types[t].category for t in products.type_idx],
            "breathing_style": pa.array(np.array(voc.BREATHING_STYLES)[products.style]),
            "rarity": pa.array(np.array(voc.RARITIES)[products.rarity]),
            "weight_kg": pa.array(products.weight_kg),
            "sharpness": pa.array(products.sharpness),
            "price": pa.array(products.price),
            "stock": pa.array(products.stock),
            "launch_date": pa.array(start + products.launch_day.astype("timedelta64[D]")),
            "description": descriptions,
        }
    )


def day_to_date(config: WorldConfig, day: int) -> dt.date:
    """Calendar date of a day offset from the world's start."""
    return config.start_date + dt.timedelta(days=int(day))
