"""The `user_recommendations` table: every customer's top 12 with reasons, as Parquet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from hashira_assets.recommender.candidates import Shopper
from hashira_assets.recommender.model import RecommenderModel
from resources import settings

RECOMMENDATION_SCHEMA = pa.schema(
    [
        ("customer_id", pa.int32()),
        ("rank", pa.int8()),
        ("product_id", pa.int32()),
        ("product_name", pa.string()),
        ("score", pa.float32()),
        ("reason", pa.string()),
        ("explored", pa.bool_()),
        ("model_version", pa.string()),
    ]
)


def recommendations_path() -> Path:
    return settings.hashira_home() / "recommender" / "user_recommendations.parquet"


def recommendations_table(
    model: RecommenderModel, version: str, progress: Callable[[str], None] | None = None
) -> pa.Table:
    """Top 12 (with the exploration slot) for every customer the shop knows."""
    customers = model.state.user_ids[model.state.user_known]
    columns: dict[str, list] = {name: [] for name in RECOMMENDATION_SCHEMA.names}
    for i, customer in enumerate(customers):
        for rec in model.recommend(Shopper.known(model.state, int(customer)), explore=True):
            columns["customer_id"].append(int(customer))
            columns["rank"].append(rec.rank)
            columns["product_id"].append(rec.product_id)
            columns["product_name"].append(rec.name)
            columns["score"].append(rec.score)
            columns["reason"].append(rec.reason)
            columns["explored"].append(rec.explored)
            columns["model_version"].append(version)
        if progress and (i + 1) % 10_000 == 0:
            progress(f"recommended for {i + 1:,} of {len(customers):,} customers")
    return pa.table(columns, schema=RECOMMENDATION_SCHEMA)


def write_recommendations(table: pa.Table, path: Path) -> None:
    """Write atomically: readers (the app) never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    pq.write_table(table, partial, compression="zstd")
    partial.replace(path)


def read_recommendations(path: Path) -> pa.Table:
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; materialize `user_recommendations`")
    return pq.read_table(path)
