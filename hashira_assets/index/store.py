"""Keeping the LanceDB product table in step with the catalog: merge by id, embed only changes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from hashira_assets.index.embedding import EMBEDDING_DIM, embed


@dataclasses.dataclass(frozen=True)
class SyncReport:
    """What one synchronisation did."""

    rows: int
    embedded: int
    unchanged: int
    deleted: int


def with_vectors(documents: pa.Table, vectors: Any) -> pa.Table:
    flat = pa.array(vectors.reshape(-1), pa.float32())
    return documents.append_column("vector", pa.FixedSizeListArray.from_arrays(flat, EMBEDDING_DIM))


FTS_INDEX = "text_idx"  # LanceDB's name for the full-text index on `text`


def _create_fts_index(table: Any) -> None:
    from lancedb.index import FTS

    table.create_index("text", config=FTS(), replace=True)


def fts_is_stale(table: Any) -> bool:
    """Whether the full-text index is missing or leaves rows out (a sync killed after merging
    its rows and before re-indexing leaves it so; the next sync rebuilds it)."""
    stats = table.index_stats(FTS_INDEX)
    return stats is None or stats.num_unindexed_rows > 0


# Documents embedded and written per step. Each step is a committed table version, so a sync
# killed at `hm` (105k documents, over an hour of embedding on 2 cores) keeps what it wrote and the
# next sync embeds only the rest; it is also how often progress is reported.
EMBED_CHUNK = 1024

Progress = Callable[[str, int, int], None]


def _write_chunk(db: Any, table: Any, table_name: str, rows: pa.Table) -> Any:
    if table is None:
        return db.create_table(table_name, rows, mode="overwrite")
    table.merge_insert(
        "product_id"
    ).when_matched_update_all().when_not_matched_insert_all().execute(rows)
    return table


def sync_product_index(
    db: Any, table_name: str, documents: pa.Table, progress: Progress | None = None
) -> SyncReport:
    """Make the table hold exactly `documents`: new and changed rows are (re-)embedded and merged by
    `product_id`, chunk by chunk, rows of removed products are deleted, untouched rows keep their
    vectors. `progress(stage, done, total)` hears of every chunk embedded."""
    names = list(getattr(db.list_tables(), "tables", []))
    table = db.open_table(table_name) if table_name in names else None
    old: dict[int, str] = {}
    if table is not None:
        existing = table.search().select(["product_id", "content_hash"]).limit(None).to_arrow()
        old = dict(
            zip(
                existing["product_id"].to_pylist(),
                existing["content_hash"].to_pylist(),
                strict=True,
            )
        )
    ids = documents["product_id"].to_pylist()
    hashes = documents["content_hash"].to_pylist()
    changed = [i for i, (pid, h) in enumerate(zip(ids, hashes, strict=True)) if old.get(pid) != h]
    removed = sorted(set(old) - set(ids))
    if removed:
        table.delete(f"product_id IN ({', '.join(str(int(p)) for p in removed)})")
    if progress is not None and changed:
        progress("product documents embedded", 0, len(changed))  # starts the clock
    for start in range(0, len(changed), EMBED_CHUNK):
        subset = documents.take(pa.array(changed[start : start + EMBED_CHUNK], pa.int64()))
        rows = with_vectors(subset, embed(subset["text"].to_pylist()))
        table = _write_chunk(db, table, table_name, rows)
        if progress is not None:
            progress("product documents embedded", start + subset.num_rows, len(changed))
    if table is None:  # an empty catalog still gets its (empty) table
        table = db.create_table(table_name, with_vectors(documents, embed([])), mode="overwrite")
    if changed or removed or fts_is_stale(table):
        # The full-text index only covers rows present when it was built.
        _create_fts_index(table)
    return SyncReport(
        rows=table.count_rows(),
        embedded=len(changed),
        unchanged=len(ids) - len(changed),
        deleted=len(removed),
    )
