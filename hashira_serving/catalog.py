"""The product catalog as silver published it: quarantined or invalid rows never appear."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from hashira_serving.cache import DATA_TTL, cache, home_key
from hashira_serving.context import published_table
from hashira_serving.errors import NotFoundError

PRODUCT_COLUMNS = [
    "product_id", "name", "product_type", "department", "breathing_style", "rarity",
    "price", "weight_kg", "sharpness", "stock", "launch_date", "description",
]  # fmt: skip
MAX_PAGE_SIZE = 100

_frames = cache(ttl=DATA_TTL, max_entries=8)


def products() -> pd.DataFrame:
    """Every published product, indexed by product id (cached; do not mutate)."""

    def load() -> pd.DataFrame:
        frame = published_table("silver", "products", "silver_products", PRODUCT_COLUMNS)
        frame = frame.to_pandas().sort_values("product_id")
        return frame.set_index("product_id", drop=False)

    return _frames.get(("products", home_key()), load)


def _search_text() -> pd.Series:
    """Each product's name and description in lower case, as the `q` filter searches them."""

    def load() -> pd.Series:
        frame = products()
        return frame["name"].str.lower() + " " + frame["description"].fillna("").str.lower()

    return _frames.get(("search_text", home_key()), load)


def product(product_id: int) -> dict:
    """One product's facts; NotFoundError for an id the catalog does not have."""
    catalog = products()
    if product_id not in catalog.index:
        raise NotFoundError(f"There is no product with id {product_id}.")
    return clean_record(catalog.loc[product_id].to_dict())


def clean_record(row: dict) -> dict:
    """A row as JSON-friendly Python values (dates as ISO text, NaN as None)."""
    out = {}
    for key, value in row.items():
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float):
            # float32 columns (weights) read back as 1.2599999904632568: keep what was meant.
            value = None if math.isnan(value) else round(value, 4)
        out[key] = value
    return out


@dataclasses.dataclass(frozen=True)
class ProductQuery:
    """Filters and a page of the catalog."""

    q: str | None = None
    product_type: str | None = None
    department: str | None = None
    breathing_style: str | None = None
    rarity: str | None = None
    min_price: float | None = None
    max_price: float | None = None
    in_stock: bool | None = None
    offset: int = 0
    limit: int = 20


def search_products(query: ProductQuery) -> tuple[int, list[dict]]:
    """(how many products match, the requested page of them), ordered by product id."""
    if query.limit < 1 or query.limit > MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
    if query.offset < 0:
        raise ValueError("offset must not be negative")
    if (
        query.min_price is not None
        and query.max_price is not None
        and query.min_price > query.max_price
    ):
        raise ValueError("min_price must not exceed max_price")
    frame = products()
    mask = pd.Series(True, index=frame.index)
    for column in ("product_type", "department", "breathing_style", "rarity"):
        wanted = getattr(query, column)
        if wanted:
            mask &= frame[column].str.lower() == wanted.strip().lower()
    if query.min_price is not None:
        mask &= frame["price"] >= query.min_price
    if query.max_price is not None:
        mask &= frame["price"] <= query.max_price
    if query.in_stock is not None:
        mask &= (frame["stock"] > 0) == query.in_stock
    if query.q:
        words = query.q.lower().split()
        text = _search_text()
        for word in words:
            mask &= text.str.contains(word, regex=False)
    matched = frame[mask]
    page = matched.iloc[query.offset : query.offset + query.limit]
    return len(matched), [clean_record(row) for row in page.to_dict(orient="records")]


def names() -> pd.Series:
    """Product name by product id."""
    return products()["name"]


def median_price() -> float:
    return float(products()["price"].median())


def add_product(product: dict, staff_username: str) -> int:
    """Add a product to the app's catalog (landed in the lake by the `new_app_products` sensor);
    its new id, the next one after every published product."""
    from hashira_serving.context import app_db
    from resources.app_catalog import add_product as store

    names_taken = set(products()["name"].str.casefold())
    if product["name"].strip().casefold() in names_taken:
        raise ValueError(f"A product named {product['name']!r} is already in the catalog.")
    department = "weapon" if product.get("sharpness") is not None else "accessory"
    first_free = int(products().index.max()) + 1 if len(products()) else 0
    return store(app_db(), {**product, "department": department}, first_free, staff_username)
