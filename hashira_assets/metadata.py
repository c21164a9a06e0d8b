"""Materialization metadata shared by assets: row counts, paths and Markdown previews."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from dagster import MetadataValue

PREVIEW_ROWS = 5


def markdown_table(rows: list[dict], max_cell: int = 60) -> str:
    """A small Markdown table (cells cut to max_cell characters) for metadata previews."""
    if not rows:
        return "_empty_"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [str(row[c]).replace("|", "/").replace("\n", " ")[:max_cell] for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown_preview(table_dir: Path, rows: int = PREVIEW_ROWS) -> MetadataValue:
    """A Markdown table of the first rows of the first Parquet file under a folder."""
    files = sorted(table_dir.rglob("*.parquet"))
    if not files:
        return MetadataValue.md("_empty_")
    head = pq.ParquetFile(files[0]).read_row_group(0).slice(0, rows).to_pylist()
    return MetadataValue.md(markdown_table(head))
