"""The `user_recommendations` table: every customer's top 12 with reasons, as Parquet, scored in
chunks (by worker processes for a large shop) and streamed to the file."""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
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
# Customers per chunk: one chunk's rows are built in memory and written as one row group.
CHUNK_CUSTOMERS = 5_000
# Below this many customers one process is faster than starting workers that each load the
# model (seconds apiece; a customer takes a few milliseconds).
PARALLEL_FROM_CUSTOMERS = 100_000
MAX_WORKERS = 4


@dataclasses.dataclass
class RecommendationsWritten:
    """What one write of the table did."""

    rows: int
    customers: int
    workers: int
    seconds: float


def recommendations_path() -> Path:
    return settings.hashira_home() / "recommender" / "user_recommendations.parquet"


def recommendations_table(
    model: RecommenderModel, customers: Iterable[int], version: str
) -> pa.Table:
    """Top 12 (with the exploration slot) for each of the given customers."""
    columns: dict[str, list] = {name: [] for name in RECOMMENDATION_SCHEMA.names}
    customers = [int(customer) for customer in customers]
    shoppers = [Shopper.known(model.state, customer) for customer in customers]
    for customer, recs in zip(customers, model.recommend_many(shoppers), strict=True):
        for rec in recs:
            columns["customer_id"].append(customer)
            columns["rank"].append(rec.rank)
            columns["product_id"].append(rec.product_id)
            columns["product_name"].append(rec.name)
            columns["score"].append(rec.score)
            columns["reason"].append(rec.reason)
            columns["explored"].append(rec.explored)
            columns["model_version"].append(version)
    return pa.table(columns, schema=RECOMMENDATION_SCHEMA)


# The model a worker process scores with, loaded once when the worker starts.
_worker_model: RecommenderModel | None = None


def _start_worker(folder: str) -> None:
    global _worker_model
    from threadpoolctl import threadpool_limits

    # One core per worker: BLAS threads on top of the processes only contend.
    threadpool_limits(1)
    _worker_model = RecommenderModel.load(Path(folder))


def _worker_chunk(job: tuple[Sequence[int], str]) -> pa.Table:
    if _worker_model is None:
        raise RuntimeError("the worker has no model: _start_worker did not run")
    return recommendations_table(_worker_model, job[0], job[1])


def progress_message(done: int, total: int, seconds: float) -> str:
    """How many customers are done, and (while some are left) the time left at this pace."""
    share = done / total if total else 1.0
    message = f"recommended for {done:,} of {total:,} customers ({share:.0%})"
    if 0 < done < total:
        message += f", about {seconds / done * (total - done):,.0f} s left"
    return message


def write_all_recommendations(
    model: RecommenderModel,
    version: str,
    path: Path,
    model_folder: Path | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    limit: int | None = None,
) -> RecommendationsWritten:
    """Every known customer's top 12, scored chunk by chunk and streamed to a partial file that
    replaces `path` only when complete (the app never reads half a table). With `workers` > 1
    (by default when there are many customers and `model_folder` is given), worker processes
    that each load the model from `model_folder` score the chunks. `limit` writes only that
    many customers, spread evenly over the ids (for timing a large shop)."""
    started = time.monotonic()
    customers = model.state.user_ids[model.state.user_known]
    if limit is not None and limit < len(customers):
        customers = customers[np.linspace(0, len(customers) - 1, limit).astype(np.int64)]
    chunks = [customers[i : i + CHUNK_CUSTOMERS] for i in range(0, len(customers), CHUNK_CUSTOMERS)]
    if workers is None:
        many = len(customers) >= PARALLEL_FROM_CUSTOMERS and model_folder is not None
        workers = min(os.cpu_count() or 1, MAX_WORKERS) if many else 1
    if workers > 1 and model_folder is None:
        raise ValueError("worker processes load the model from model_folder; none was given")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    rows = done = 0
    with contextlib.ExitStack() as stack:
        if workers > 1:
            # Spawned, not forked: a forked child of a process that has run OpenMP (LightGBM)
            # can hang in its first parallel region. An executor, not a Pool: a worker that
            # dies breaks it with an error, where a Pool would start new workers forever.
            executor = stack.enter_context(
                ProcessPoolExecutor(
                    workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(str(model_folder),),
                )
            )
            tables: Iterable[pa.Table] = executor.map(
                _worker_chunk, [(chunk.tolist(), version) for chunk in chunks]
            )
        else:
            tables = (recommendations_table(model, chunk, version) for chunk in chunks)
        writer = stack.enter_context(
            pq.ParquetWriter(partial, RECOMMENDATION_SCHEMA, compression="zstd")
        )
        for chunk, table in zip(chunks, tables, strict=True):
            writer.write_table(table)
            rows += table.num_rows
            done += len(chunk)
            if progress:
                progress(progress_message(done, len(customers), time.monotonic() - started))
    partial.replace(path)
    return RecommendationsWritten(rows, len(customers), workers, time.monotonic() - started)


def read_recommendations(path: Path, columns: list[str] | None = None) -> pa.Table:
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; materialize `user_recommendations`")
    return pq.read_table(path, columns=columns)


def preview_recommendations(path: Path, rows: int = 12) -> list[dict]:
    """The file's first rows, read from its first row group only."""
    parquet = pq.ParquetFile(path)
    if parquet.num_row_groups == 0:
        return []
    return parquet.read_row_group(0).slice(0, rows).to_pylist()


def customers_with_problems(table: pa.Table) -> tuple[int, int]:
    """(customers, customers without exactly 12 distinct products ranked 1-12), counted in
    Arrow: the table has 16 million rows at `hm`."""
    per_customer = table.group_by("customer_id").aggregate(
        [("product_id", "count"), ("product_id", "count_distinct"), ("rank", "max")]
    )
    twelve = pc.and_(
        pc.and_(
            pc.equal(per_customer["product_id_count"], 12),
            pc.equal(per_customer["product_id_count_distinct"], 12),
        ),
        pc.equal(per_customer["rank_max"], 12),
    )
    bad = per_customer.num_rows - pc.sum(twelve).as_py() if per_customer.num_rows else 0
    return per_customer.num_rows, bad
