"""Training, evaluating and applying the conversation summarizer: plain functions for assets."""

from __future__ import annotations

import dataclasses
import hashlib
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from hashira_assets.assistant.metrics import rouge_scores
from hashira_assets.assistant.summarizers import (
    ExtractiveSummarizer,
    Summarizer,
    TemplateSummarizer,
    load_summarizer,
)
from hashira_assets.index.documents import read_table
from hashira_assets.lake.versions import table_versions
from resources import settings
from resources.model_lifecycle import Candidate, Gate, run_lifecycle

SUMMARIZER_MODEL_NAME = "hashira-summarizer"
TRAIN_PHRASING = "A"
HELDOUT_PHRASING = "B"
PROMOTION_METRIC = "rougeL"
SUMMARY_SCHEMA = pa.schema(
    [
        ("conversation_id", pa.int32()),
        ("customer_id", pa.int32()),
        ("product_id", pa.int32()),
        ("started_at", pa.timestamp("ms")),
        ("summary", pa.string()),
        ("issue_category", pa.string()),
        ("resolution", pa.string()),
        ("sentiment", pa.string()),
        ("model_version", pa.string()),
        ("transcript_hash", pa.string()),
    ]
)


def assistant_dir() -> Path:
    return settings.hashira_home() / "assistant"


def summaries_path() -> Path:
    return assistant_dir() / "conversation_summaries.parquet"


def load_conversations(raw_dir: Path) -> list[dict]:
    columns = [
        "conversation_id",
        "customer_id",
        "product_id",
        "started_at",
        "issue_category",
        "resolution_type",
        "sentiment",
        "phrasing_set",
        "transcript",
        "reference_summary",
    ]
    return read_table(raw_dir, "support_conversations").select(columns).to_pylist()


def split_conversations(conversations: list[dict]) -> tuple[list[dict], list[dict]]:
    """(training, held-out): phrasing set A trains, B (wording never seen in A) evaluates."""
    train = [c for c in conversations if c["phrasing_set"] == TRAIN_PHRASING]
    heldout = [c for c in conversations if c["phrasing_set"] == HELDOUT_PHRASING]
    return train, heldout


def train_summarizer(
    train: list[dict], product_names: list[str], max_train: int | None = None, seed: int = 0
) -> TemplateSummarizer:
    """Fit the frame-template summarizer on (a seeded sample of) the training conversations."""
    if max_train is not None and len(train) > max_train:
        import random

        train = random.Random(seed).sample(train, max_train)
    return TemplateSummarizer(product_names).fit(
        [c["transcript"] for c in train],
        [c["reference_summary"] for c in train],
        [c["issue_category"] for c in train],
        [c["resolution_type"] for c in train],
        [c["sentiment"] for c in train],
        seed=seed,
    )


def evaluate_summarizer(summarizer: Summarizer, conversations: list[dict]) -> dict[str, float]:
    """ROUGE-1/2/L against the reference summaries plus the accuracy of the structured fields."""
    out = summarizer.summarize_batch([c["transcript"] for c in conversations])
    scores = rouge_scores([o.summary for o in out], [c["reference_summary"] for c in conversations])
    n = len(conversations)
    scores["category_accuracy"] = (
        sum(
            o.issue_category == c["issue_category"] for o, c in zip(out, conversations, strict=True)
        )
        / n
    )
    scores["sentiment_accuracy"] = (
        sum(o.sentiment == c["sentiment"] for o, c in zip(out, conversations, strict=True)) / n
    )
    return scores


def baseline_scores(conversations: list[dict]) -> dict[str, float]:
    return evaluate_summarizer(ExtractiveSummarizer(), conversations)


@dataclasses.dataclass(frozen=True)
class TrainingReport:
    run_id: str
    version: str
    train_size: int
    heldout_size: int
    train_seconds: float
    scores: dict[str, float]
    baseline: dict[str, float]
    decision: object


# What train_and_register reads from the generated world: the versions every summarizer records.
SUMMARIZER_INPUTS = ("world/support_conversations", "world/products")


@dataclasses.dataclass(frozen=True)
class FittedSummarizer:
    """A summarizer fitted on phrasing A and scored, with the baseline, on phrasing B."""

    model: TemplateSummarizer
    heldout: list[dict]
    train_seconds: float
    scores: dict[str, float]
    baseline: dict[str, float]


def fit_and_score(raw_dir: Path, max_train: int | None, seed: int) -> FittedSummarizer:
    """Train on phrasing A and score on phrasing B (what a training run and a reproduction do)."""
    train, heldout = split_conversations(load_conversations(raw_dir))
    if not train or not heldout:
        raise ValueError("need conversations of both phrasing sets to train and evaluate")
    product_names = read_table(raw_dir, "products")["name"].to_pylist()
    start = time.perf_counter()
    model = train_summarizer(train, product_names, max_train, seed)
    train_seconds = time.perf_counter() - start
    return FittedSummarizer(
        model, heldout, train_seconds, evaluate_summarizer(model, heldout), baseline_scores(heldout)
    )


def train_and_register(raw_dir: Path, tracking, max_train: int | None, seed: int) -> TrainingReport:
    """Train on phrasing A, score on phrasing B, and hand it to the model lifecycle: champion
    only if it beats the current one on phrasing B (and, as a first champion, the baseline)."""
    inputs = table_versions(None, raw_dir, SUMMARIZER_INPUTS)
    fitted = fit_and_score(raw_dir, max_train, seed)
    model, heldout, scores, baseline = fitted.model, fitted.heldout, fitted.scores, fitted.baseline
    candidate = Candidate(
        model_name=SUMMARIZER_MODEL_NAME,
        experiment="summarizer",
        run_name="frame-template",
        gate=Gate(PROMOTION_METRIC, floor=baseline[PROMOTION_METRIC], floor_name="lead baseline"),
        params={"kind": TemplateSummarizer.name, "max_train": max_train, "seed": seed},
        metrics={
            **scores,
            **{f"heldout_{k}": v for k, v in scores.items()},
            **{f"baseline_{k}": v for k, v in baseline.items()},
            "train_size": model.train_size,
            "heldout_size": len(heldout),
            "train_seconds": fitted.train_seconds,
        },
        write_model=model.save,
        evaluate_saved=lambda folder: evaluate_summarizer(load_summarizer(folder), heldout),
        inputs=inputs,
    )
    result = run_lifecycle(tracking, candidate)
    return TrainingReport(
        result.run_id,
        result.version,
        model.train_size,
        len(heldout),
        fitted.train_seconds,
        scores,
        baseline,
        result.decision,
    )


def transcript_hash(transcript: str) -> str:
    return hashlib.sha1(transcript.encode()).hexdigest()


def summarize_incrementally(
    conversations: list[dict],
    existing: pa.Table | None,
    summarizer: Summarizer,
    model_version: str,
    batch_size: int = 256,
) -> tuple[pa.Table, int]:
    """All conversations' summaries, reusing existing rows made by the same model version from
    the same transcript; returns (table, number summarized now)."""
    keep: dict[int, dict] = {}
    if existing is not None:
        for row in existing.to_pylist():
            keep[row["conversation_id"]] = row
    rows: list[dict] = []
    todo: list[dict] = []
    for c in conversations:
        old = keep.get(c["conversation_id"])
        h = transcript_hash(c["transcript"])
        if old and old["transcript_hash"] == h and old["model_version"] == model_version:
            rows.append(old)
        else:
            todo.append(c)
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        for c, s in zip(
            chunk, summarizer.summarize_batch([c["transcript"] for c in chunk]), strict=True
        ):
            rows.append(
                {
                    "conversation_id": c["conversation_id"],
                    "customer_id": c["customer_id"],
                    "product_id": c["product_id"],
                    "started_at": c["started_at"],
                    "summary": s.summary,
                    "issue_category": s.issue_category,
                    "resolution": s.resolution,
                    "sentiment": s.sentiment,
                    "model_version": model_version,
                    "transcript_hash": transcript_hash(c["transcript"]),
                }
            )
    rows.sort(key=lambda r: r["conversation_id"])
    return pa.Table.from_pylist(rows, schema=SUMMARY_SCHEMA), len(todo)


def write_summaries(table: pa.Table, path: Path) -> None:
    """Write atomically, so the UI never reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)


def read_summaries(path: Path) -> pa.Table | None:
    return pq.read_table(path) if path.exists() else None
