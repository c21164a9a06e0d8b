"""The `product_images` table: one WebP picture per product, drawn from its attributes.

The table lives beside the other serving state (HASHIRA_HOME/images/product_images.parquet),
sorted by product id in small row groups, so a request reads one row group, not the table.
A rerun draws only the products whose type, style or rarity changed (or that are new).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from hashira_assets.images.render import PRODUCT_IMAGE_SIZE, RENDER_VERSION, product_image
from resources import settings

MEDIA_TYPE = "image/webp"
ROW_GROUP = 512
IMAGE_SCHEMA = pa.schema(
    [
        ("product_id", pa.int32()),
        ("drawn_from", pa.string()),
        ("image", pa.binary()),
    ]
)


def product_images_path() -> Path:
    return settings.hashira_home() / "images" / "product_images.parquet"


def drawn_from(product: dict) -> str:
    """What a product's picture depends on; a change here means it is drawn again."""
    return (
        f"v{RENDER_VERSION}|{product['product_type']}|{product['breathing_style']}|"
        f"{product['rarity']}"
    )


def encode(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=85, method=4)
    return buffer.getvalue()


def existing_images(path: Path) -> dict[int, tuple[str, bytes]]:
    """The pictures already drawn, by product id (empty when there is no table yet)."""
    if not path.exists():
        return {}
    table = pq.read_table(path)
    return {
        pid: (key, image)
        for pid, key, image in zip(
            table["product_id"].to_pylist(),
            table["drawn_from"].to_pylist(),
            table["image"].to_pylist(),
            strict=True,
        )
    }


def build_images_table(
    products: list[dict],
    previous: dict[int, tuple[str, bytes]],
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[pa.Table, int]:
    """Every product's picture, reusing each unchanged one; returns the table and how many were
    drawn."""
    ids, keys, images, drawn = [], [], [], 0
    for i, product in enumerate(sorted(products, key=lambda p: p["product_id"])):
        pid, key = int(product["product_id"]), drawn_from(product)
        old = previous.get(pid)
        if old is not None and old[0] == key:
            image = old[1]
        else:
            image = encode(
                product_image(
                    pid,
                    product["product_type"],
                    product["breathing_style"],
                    product["rarity"],
                    PRODUCT_IMAGE_SIZE,
                )
            )
            drawn += 1
        ids.append(pid)
        keys.append(key)
        images.append(image)
        if (i + 1) % 5000 == 0:
            progress(f"product images: {i + 1:,} of {len(products):,} ({drawn:,} drawn)")
    return pa.table([ids, keys, images], schema=IMAGE_SCHEMA), drawn


def write_images_table(table: pa.Table, path: Path) -> None:
    """Write atomically, in row groups small enough to read one product's picture quickly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    pq.write_table(table, partial, row_group_size=ROW_GROUP, compression="none")
    partial.replace(path)
