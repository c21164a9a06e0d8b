"""Landing the products staff added through the API in the raw world's `products/` folder.

All app products are written to one file, `app-products.parquet`, beside the generator's parts,
in the generator's schema; it is rewritten only when the set of app products changed. From there
the lake landing and silver publish them, and the `catalog_changed` sensor re-indexes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from resources.app_catalog import app_products_frame
from resources.app_database import AppDatabaseResource

PRODUCTS_TABLE = "products"
APP_PRODUCTS_FILE = "app-products.parquet"
PRODUCT_SCHEMA = pa.schema(
    [
        ("product_id", pa.int32()),
        ("name", pa.string()),
        ("product_type", pa.string()),
        ("department", pa.string()),
        ("breathing_style", pa.string()),
        ("rarity", pa.string()),
        ("weight_kg", pa.float32()),
        ("sharpness", pa.int16()),
        ("price", pa.float64()),
        ("stock", pa.int32()),
        ("launch_date", pa.date32()),
        ("description", pa.string()),
    ]
)


def app_product_rows(app_database: AppDatabaseResource) -> pa.Table:
    """The app's products in the generator's product schema (accessories have sharpness 0)."""
    frame = app_products_frame(app_database)
    frame["sharpness"] = frame["sharpness"].fillna(0).astype("int16")
    frame["launch_date"] = pd.to_datetime(frame["launch_date"]).dt.date
    return pa.Table.from_pandas(frame[PRODUCT_SCHEMA.names], schema=PRODUCT_SCHEMA,
                                preserve_index=False)  # fmt: skip


def land_app_products(app_database: AppDatabaseResource, raw_dir: Path) -> list[int] | None:
    """Write the app's products into the raw world; the new ids landed, or None when unchanged."""
    folder = Path(raw_dir) / PRODUCTS_TABLE
    if not folder.is_dir():
        return None  # no world yet: nothing to add the products to
    table = app_product_rows(app_database)
    target = folder / APP_PRODUCTS_FILE
    landed = set(pq.read_table(target, columns=["product_id"])["product_id"].to_pylist()) if (
        target.exists()
    ) else set()  # fmt: skip
    ids = table["product_id"].to_pylist()
    if set(ids) == landed:
        return None
    tmp = folder / f".{APP_PRODUCTS_FILE}.tmp"  # invisible to readers until renamed whole
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(target)
    return sorted(set(ids) - landed)
