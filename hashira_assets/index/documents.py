"""Product documents: the text the index embeds and searches, built from products and FAQs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

# Columns copied from `products` into the index so that search can filter on them.
METADATA_COLUMNS = (
    "product_id",
    "name",
    "product_type",
    "department",
    "breathing_style",
    "rarity",
    "weight_kg",
    "sharpness",
    "price",
    "stock",
)


def read_table(raw_dir: Path, table: str) -> pa.Table:
    return ds.dataset(Path(raw_dir) / table, format="parquet").to_table()


def product_text(product: dict, faqs: list[tuple[str, str]]) -> str:
    """Description, attributes and FAQ of one product as one searchable text."""
    stock = "in stock" if product["stock"] > 0 else "out of stock"
    parts = [
        f"{product['name']}: a {product['rarity']} {product['product_type']} "
        f"({product['department']}) for {product['breathing_style']} Breathing.",
        f"Weight {product['weight_kg']:.2f} kg. Sharpness {product['sharpness']}. "
        f"Price {product['price']:.2f}. {stock.capitalize()}.",
        product["description"],
    ]
    parts += [f"Q: {q} A: {a}" for q, a in faqs]
    return "\n".join(parts)


def product_documents(products: pa.Table, faqs: pa.Table) -> pa.Table:
    """One row per product: metadata, `in_stock`, `text` and a `content_hash` of everything."""
    faq_by_product: dict[int, list[tuple[str, str]]] = {}
    for row in faqs.sort_by("faq_id").select(["product_id", "question", "answer"]).to_pylist():
        faq_by_product.setdefault(row["product_id"], []).append((row["question"], row["answer"]))
    rows = products.select([*METADATA_COLUMNS, "description"]).to_pylist()
    texts = [product_text(r, faq_by_product.get(r["product_id"], [])) for r in rows]
    table = products.select(list(METADATA_COLUMNS))
    table = table.append_column("in_stock", pc.greater(products["stock"], 0))
    table = table.append_column("text", pa.array(texts, pa.string()))
    hashes = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
    return table.append_column("content_hash", pa.array(hashes, pa.string()))


def load_product_documents(raw_dir: Path) -> pa.Table:
    return product_documents(read_table(raw_dir, "products"), read_table(raw_dir, "product_faqs"))
