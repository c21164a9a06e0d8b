"""Support-conversation summaries: the materialized ones, and the champion summarizer on demand."""

from __future__ import annotations

import dataclasses
import tempfile

import pandas as pd

from hashira_assets.assistant.summaries import (
    SUMMARIZER_MODEL_NAME,
    read_summaries,
    summaries_path,
)
from hashira_assets.assistant.summarizers import ExtractiveSummarizer, load_summarizer
from hashira_serving.cache import DATA_TTL, VERSION_TTL, cache, forever, home_key
from hashira_serving.context import mlflow, published_table
from hashira_serving.errors import NotMaterializedError, missing

MAX_TRANSCRIPT_CHARS = 20_000
BASELINE_LABEL = "extractive baseline (no trained summarizer yet)"

_frames = cache(ttl=DATA_TTL, max_entries=4)
_versions = cache(ttl=VERSION_TTL, max_entries=4)
_models = forever(max_entries=2)


@dataclasses.dataclass(frozen=True)
class SummaryAnswer:
    """A summary with its fields, the model that wrote it, and notices for the reader."""

    summary: str
    issue_category: str
    resolution: str
    sentiment: str
    model_version: str
    notices: tuple[str, ...] = ()
    category_confidence: float | None = None
    resolution_confidence: float | None = None
    sentiment_confidence: float | None = None
    faithful: bool | None = None


def summaries() -> pd.DataFrame:
    """Every conversation's summary with its transcript (cached; do not mutate)."""

    def load() -> pd.DataFrame:
        table = read_summaries(summaries_path())
        if table is None:
            raise missing("conversation_summaries", "Conversation summaries")
        frame = table.to_pandas()
        try:
            transcripts = published_table(
                "raw", "support_conversations", "lake_raw_support_conversations",
                ["conversation_id", "transcript"],
            ).to_pandas()  # fmt: skip
        except NotMaterializedError:
            return frame.assign(transcript=None)
        return frame.merge(transcripts, on="conversation_id", how="left")

    return _frames.get(("summaries", home_key()), load)


def summarizer_version() -> str | None:
    return _versions.get(
        ("summarizer", home_key()), lambda: mlflow().champion_version(SUMMARIZER_MODEL_NAME)
    )


def summarizer():
    """(the champion summarizer, its label); the extractive baseline when none is trained."""
    version = summarizer_version()
    if version is None:
        return ExtractiveSummarizer(), BASELINE_LABEL

    def load():
        folder = tempfile.mkdtemp(prefix="hashira-summarizer-")
        model = load_summarizer(mlflow().download_version(SUMMARIZER_MODEL_NAME, version, folder))
        return model, f"{SUMMARIZER_MODEL_NAME} v{version}"

    return _models.get(("summarizer", home_key(), version), load)


def checked_transcript(transcript: str) -> tuple[str, list[str]]:
    """(the transcript to summarize, notices); ValueError for an empty or binary text."""
    text = (transcript or "").strip()
    if not text:
        raise ValueError("Paste a conversation first.")
    if "\x00" in text or sum(not (c.isprintable() or c.isspace()) for c in text) > len(text) // 20:
        raise ValueError("That does not look like a text conversation (binary content).")
    notices = []
    if len(text) > MAX_TRANSCRIPT_CHARS:
        text = text[:MAX_TRANSCRIPT_CHARS]
        notices.append(
            f"The conversation was cut to its first {MAX_TRANSCRIPT_CHARS:,} characters."
        )
    return text, notices


def summarize(transcript: str) -> SummaryAnswer:
    """Summarize one pasted conversation; ValueError for an empty or binary text."""
    text, notices = checked_transcript(transcript)
    model, label = summarizer()
    result = model.summarize(text)
    if result.note:
        notices.append(result.note[0].upper() + result.note[1:] + ".")
    return SummaryAnswer(
        result.summary, result.issue_category, result.resolution, result.sentiment, label,
        tuple(notices), result.category_confidence, result.resolution_confidence,
        result.sentiment_confidence, result.faithful,
    )  # fmt: skip
