"""Products that staff add through the API, held in the app database until the graph lands them.

The `new_app_products` sensor lands them in the raw world's products table; silver, the product
index and the recommender then pick them up like any other product.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from resources.app_database import AppDatabaseResource, metadata, now_utc

app_products = sa.Table(
    "app_products",
    metadata,
    sa.Column("product_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(80), nullable=False, unique=True),
    sa.Column("product_type", sa.String(40), nullable=False),
    sa.Column("department", sa.String(16), nullable=False),
    sa.Column("breathing_style", sa.String(16), nullable=False),
    sa.Column("rarity", sa.String(16), nullable=False),
    sa.Column("price", sa.Float, nullable=False),
    sa.Column("weight_kg", sa.Float, nullable=False),
    sa.Column("sharpness", sa.Integer, nullable=True),
    sa.Column("stock", sa.Integer, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("launch_date", sa.Date, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


class DuplicateProductError(ValueError):
    """A product with that name already exists."""


def _engine(db: AppDatabaseResource) -> sa.Engine:
    engine = db.engine()
    app_products.create(engine, checkfirst=True)
    return engine


def add_product(db: AppDatabaseResource, product: dict, first_free_id: int, staff: str) -> int:
    """Store a new product under the next free id at or above `first_free_id`; its id."""
    engine = _engine(db)
    duplicate = DuplicateProductError(f"A product named {product['name']!r} already exists.")
    try:
        with engine.begin() as conn:
            # Compared in Python: SQLite's lower() folds ASCII letters only.
            names = conn.execute(sa.select(app_products.c.name)).scalars()
            if any(name.casefold() == product["name"].casefold() for name in names):
                raise duplicate
            highest = conn.execute(sa.select(sa.func.max(app_products.c.product_id))).scalar_one()
            product_id = max(first_free_id, (highest or -1) + 1)
            conn.execute(
                app_products.insert().values(
                    product_id=product_id,
                    launch_date=dt.datetime.now(dt.UTC).date(),
                    created_by=staff,
                    created_at=now_utc(),
                    **product,
                )
            )
    except sa.exc.IntegrityError as exc:  # the same name (or id) committed by a concurrent add
        raise duplicate from exc
    return product_id


def app_products_frame(db: AppDatabaseResource) -> pd.DataFrame:
    """Every product added in the app, oldest first."""
    with _engine(db).connect() as conn:
        return pd.read_sql(sa.select(app_products).order_by(app_products.c.product_id), conn)
