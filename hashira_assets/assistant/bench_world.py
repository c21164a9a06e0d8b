"""The smallest world the product chat needs: the catalog (products) and its FAQs.

Built with the generator's own steps and seeds, so the products and FAQs are the ones the full
world of the same config has, in a fraction of the time (no customers' behaviour is simulated).
"""

from __future__ import annotations

from pathlib import Path

from hashira_assets.raw import entities, texts
from hashira_assets.raw.generate import _rng, _write_whole
from hashira_assets.raw.world_config import WorldConfig, validate_config


def write_catalog(config: WorldConfig, out_dir: Path) -> Path:
    """Write `products` and `product_faqs` of the world `config` describes; returns out_dir."""
    validate_config(config)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    products = entities.make_products(config, _rng(config.seed, 2))
    descriptions = texts.product_descriptions(products, _rng(config.seed, 3))
    _write_whole(entities.products_table(products, config, descriptions), out / "products")
    _write_whole(texts.product_faqs(products), out / "product_faqs")
    return out
