"""Product pictures as `product_images` published them, one row group read per request.

Contract::

    picture = product_image(product_id)      # -> ProductImage(data=bytes, media_type="image/webp")

Raises NotFoundError for a product id the catalog does not have, NotMaterializedError before
`product_images` has run (or when it has not drawn this product yet).
"""

from __future__ import annotations

import bisect
import dataclasses

import pyarrow.parquet as pq

from hashira_assets.images.product_images import MEDIA_TYPE, product_images_path
from hashira_serving import catalog
from hashira_serving.cache import DATA_TTL, cache, home_key
from hashira_serving.errors import missing

_index = cache(ttl=DATA_TTL, max_entries=4)
# Decoded pictures by (home, file stamp, product id): a Shop page shows about fifteen.
_pictures = cache(ttl=DATA_TTL, max_entries=512)


@dataclasses.dataclass(frozen=True)
class ProductImage:
    product_id: int
    data: bytes
    media_type: str = MEDIA_TYPE


@dataclasses.dataclass(frozen=True)
class _ImageIndex:
    stamp: float
    first_ids: list[int]  # the first product id of each row group


def _image_index() -> _ImageIndex:
    path = product_images_path()

    def load() -> _ImageIndex:
        if not path.exists():
            raise missing("product_images", "Product pictures")
        stamp = path.stat().st_mtime
        metadata = pq.ParquetFile(path).metadata
        column = metadata.schema.names.index("product_id")
        firsts = [
            int(metadata.row_group(g).column(column).statistics.min)
            for g in range(metadata.num_row_groups)
        ]
        return _ImageIndex(stamp, firsts)

    index = _index.get((home_key(), "index"), load)
    if not path.exists() or path.stat().st_mtime != index.stamp:
        _index.clear()
        index = _index.get((home_key(), "index"), load)
    return index


def product_image(product_id: int) -> ProductImage:
    """One product's picture; NotFoundError for an unknown product."""
    catalog.product(product_id)  # NotFoundError for an id the shop does not sell
    index = _image_index()

    def load() -> ProductImage:
        group = bisect.bisect_right(index.first_ids, product_id) - 1
        if group < 0:
            raise missing("product_images", f"The picture of product {product_id}")
        table = pq.ParquetFile(product_images_path()).read_row_group(group)
        ids = table["product_id"].to_pylist()
        if product_id not in ids:
            raise missing("product_images", f"The picture of product {product_id}")
        return ProductImage(product_id, table["image"][ids.index(product_id)].as_py())

    return _pictures.get((home_key(), index.stamp, product_id), load)
