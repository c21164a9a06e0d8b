"""Support-conversation summarizers behind one interface.

Backends:
- `ExtractiveSummarizer`: the baseline that always works — the lead sentences of the transcript.
- `TemplateSummarizer`: the trained model (see README, "AI assistant"): TF-IDF + logistic regression
  choose the conversation's frame (issue category × resolution) and sentiment; the summary
  template of each frame is learned from the training conversations' reference summaries, and its
  slots (product, order, days) are copied from the transcript.
- `Seq2SeqSummarizer`: any Flan-T5-style model directory, through `transformers`.
- `LLMSummarizer`: the bundled local LLM (or Gemini) with a structured
  "Issue / Resolution / Follow-up" prompt.
"""

from __future__ import annotations

import abc
import dataclasses
import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ISSUE_KEYWORDS = {
    "order_status": ("where is", "status", "tracking", "not arrived", "still waiting", "shipped"),
    "defect": ("chip", "crack", "broken", "damage", "fault", "defect", "not in one piece"),
    "sizing": ("too long", "grip", "height", "fit", "size", "shorter", "heavy"),
    "delivery": ("wrong address", "wrong village", "courier", "delivered", "neighbour", "parcel"),
    "returns": ("return", "send back", "go back", "changed my mind", "refund"),
    "care": ("look after", "clean", "maintenance", "rust", "shine", "oil", "care"),
}
SENTIMENT_KEYWORDS = {
    "positive": ("thank you so much", "perfect", "great", "appreciated", "wonderful"),
    "negative": ("too long", "unhappy", "angry", "terrible", "still not", "fine, but"),
}
ORDER_RE = re.compile(r"\bHM-\d{4,}\b")
DAYS_RE = re.compile(r"\b(\d{1,3})\s+days?\b")
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")


@dataclasses.dataclass(frozen=True)
class ConversationSummary:
    """A summary with the structured fields the support UI shows."""

    summary: str
    issue_category: str
    resolution: str
    sentiment: str
    # How sure the labels are (None: a backend without confidences), and whether the summary
    # passed the fact check (or what replaced it when it did not).
    category_confidence: float | None = None
    resolution_confidence: float | None = None
    sentiment_confidence: float | None = None
    faithful: bool | None = None
    note: str = ""


def keyword_label(text: str, keywords: dict[str, tuple[str, ...]], default: str) -> str:
    """The label whose keywords occur most often (ties: first label), else `default`."""
    lowered = text.lower()
    counts = {label: sum(lowered.count(k) for k in words) for label, words in keywords.items()}
    best = max(counts, key=lambda label: counts[label])
    return best if counts[best] > 0 else default


def transcript_sentences(transcript: str) -> list[str]:
    """Sentences of a transcript with the "Customer:" / "Agent:" labels removed."""
    out = []
    for line in transcript.splitlines():
        text = re.sub(r"^\s*(customer|agent)\s*:\s*", "", line, flags=re.IGNORECASE).strip()
        out += [s.strip() for s in _SENTENCE_RE.split(text) if s.strip()]
    return out


def resolution_sentence(transcript: str) -> str:
    """The agent's last turn: where support conversations state what was done."""
    agent = [line for line in transcript.splitlines() if line.lower().startswith("agent:")]
    return agent[-1].split(":", 1)[1].strip() if agent else ""


class Summarizer(abc.ABC):
    """Transcripts in, structured summaries out."""

    name: str = "summarizer"

    @abc.abstractmethod
    def summarize_batch(self, transcripts: Sequence[str]) -> list[ConversationSummary]:
        """One summary per transcript, in order."""

    def summarize(self, transcript: str) -> ConversationSummary:
        return self.summarize_batch([transcript])[0]


def _fields_from_text(summary: str, transcript: str) -> ConversationSummary:
    """Structured fields for backends that only write prose: keyword rules on the transcript."""
    return ConversationSummary(
        summary=summary,
        issue_category=keyword_label(transcript, ISSUE_KEYWORDS, "other"),
        resolution=resolution_sentence(transcript),
        sentiment=keyword_label(
            transcript.splitlines()[-1] if transcript else "", SENTIMENT_KEYWORDS, "neutral"
        ),
    )


class ExtractiveSummarizer(Summarizer):
    """Lead-n baseline: the first `n_sentences` sentences of the transcript."""

    name = "extractive-lead"

    def __init__(self, n_sentences: int = 3):
        self.n_sentences = n_sentences

    def summarize_batch(self, transcripts: Sequence[str]) -> list[ConversationSummary]:
        return [
            _fields_from_text(" ".join(transcript_sentences(t)[: self.n_sentences]), t)
            for t in transcripts
        ]


# --------------------------------------------------------------------------- trained model


def _gazetteer_pattern(names: Sequence[str]) -> re.Pattern | None:
    if not names:
        return None
    ordered = sorted(set(names), key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in ordered))


def delexicalize(text: str, product: str | None, order: str | None, days: str | None) -> str:
    """Replace a conversation's slot values by {product}, {order}, {days} placeholders."""
    out = text.replace("{", "(").replace("}", ")")
    if product:
        out = out.replace(product, "{product}")
    if order:
        out = out.replace(order, "{order}")
    if days:
        out = re.sub(rf"\b{re.escape(days)}(\s+days?)\b", r"{days}\1", out)
    return out


class TemplateSummarizer(Summarizer):
    """Frame classifier + learned templates + copied slots. `fit` trains it; `save`/`load`
    persist it as a folder (joblib classifiers + JSON templates)."""

    name = "frame-template"

    def __init__(self, product_names: Sequence[str] = ()):
        self.product_names = sorted(set(product_names))
        self.frame_model: Any = None
        self.sentiment_model: Any = None
        self.templates: dict[str, str] = {}
        self.train_size = 0

    # -- slots
    def extract_slots(self, transcript: str) -> dict[str, str | None]:
        pattern = _gazetteer_pattern(self.product_names)
        match = pattern.search(transcript) if pattern else None
        order = ORDER_RE.search(transcript)
        days = DAYS_RE.search(transcript)
        return {
            "product": match.group(0) if match else None,
            "order": order.group(0) if order else None,
            "days": days.group(1) if days else None,
        }

    def mask(self, transcript: str) -> str:
        """Slot values replaced by type tokens, so the classifier learns wording, not names."""
        slots = self.extract_slots(transcript)
        text = delexicalize(transcript, slots["product"], slots["order"], slots["days"])
        return re.sub(r"\d+", " num ", text.replace("{product}", " producttoken "))

    # -- training
    def fit(
        self,
        transcripts: Sequence[str],
        references: Sequence[str],
        issue_categories: Sequence[str],
        resolutions: Sequence[str],
        sentiments: Sequence[str],
        seed: int = 0,
    ) -> TemplateSummarizer:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        frames = [f"{c}|{r}" for c, r in zip(issue_categories, resolutions, strict=True)]
        masked = [self.mask(t) for t in transcripts]
        self.frame_model = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
            LogisticRegression(C=10.0, max_iter=2000, random_state=seed),
        ).fit(masked, frames)
        closings = [t.strip().splitlines()[-1] if t.strip() else "" for t in transcripts]
        self.sentiment_model = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            LogisticRegression(C=10.0, max_iter=2000, random_state=seed),
        ).fit(closings, list(sentiments))
        by_frame: dict[str, Counter] = {}
        for transcript, reference, frame in zip(transcripts, references, frames, strict=True):
            slots = self.extract_slots(transcript)
            template = delexicalize(reference, slots["product"], slots["order"], slots["days"])
            by_frame.setdefault(frame, Counter())[template] += 1
        self.templates = {f: c.most_common(1)[0][0] for f, c in by_frame.items()}
        self.train_size = len(transcripts)
        return self

    # -- inference
    def summarize_batch(self, transcripts: Sequence[str]) -> list[ConversationSummary]:
        if self.frame_model is None:
            raise RuntimeError("TemplateSummarizer is not trained")
        if not transcripts:
            return []
        frames = self.frame_model.predict([self.mask(t) for t in transcripts])
        closings = [t.strip().splitlines()[-1] if t.strip() else "" for t in transcripts]
        sentiments = self.sentiment_model.predict(closings)
        out = []
        for transcript, frame, sentiment in zip(transcripts, frames, sentiments, strict=True):
            slots = self.extract_slots(transcript)
            values = {
                "product": slots["product"] or "the item",
                "order": slots["order"] or "the order",
                "days": slots["days"] or "a few",
            }
            category, resolution = str(frame).split("|", 1)
            out.append(
                ConversationSummary(
                    summary=self.templates[frame].format(**values),
                    issue_category=category,
                    resolution=resolution,
                    sentiment=str(sentiment),
                )
            )
        return out

    # -- persistence
    def save(self, folder: str | Path) -> Path:
        import joblib

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(
            {"frame": self.frame_model, "sentiment": self.sentiment_model},
            folder / "classifiers.joblib",
        )
        meta = {
            "kind": self.name,
            "templates": self.templates,
            "product_names": self.product_names,
            "train_size": self.train_size,
        }
        (folder / "summarizer.json").write_text(json.dumps(meta, indent=1))
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> TemplateSummarizer:
        import joblib

        folder = Path(folder)
        meta = json.loads((folder / "summarizer.json").read_text())
        model = cls(meta["product_names"])
        models = joblib.load(folder / "classifiers.joblib")
        model.frame_model, model.sentiment_model = models["frame"], models["sentiment"]
        model.templates = meta["templates"]
        model.train_size = meta["train_size"]
        return model


# --------------------------------------------------------------------------- seq2seq / LLM


class Seq2SeqSummarizer(Summarizer):
    """A Flan-T5-style encoder-decoder from a local folder (no hub access), batched greedy."""

    name = "seq2seq"

    def __init__(self, model_dir: str | Path, max_new_tokens: int = 64, batch_size: int = 16):
        from resources.model_packages import offline_models

        offline_models()
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.model = AutoModelForSeq2SeqLM.from_pretrained(str(model_dir)).eval()
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.name = f"seq2seq:{Path(model_dir).name}"

    def summarize_batch(self, transcripts: Sequence[str]) -> list[ConversationSummary]:
        import torch

        texts: list[str] = []
        for start in range(0, len(transcripts), self.batch_size):
            chunk = [f"summarize: {t}" for t in transcripts[start : start + self.batch_size]]
            inputs = self.tokenizer(
                chunk, return_tensors="pt", padding=True, truncation=True, max_length=512
            )
            with torch.inference_mode():
                out = self.model.generate(
                    **inputs, max_new_tokens=self.max_new_tokens, do_sample=False
                )
            texts += [s.strip() for s in self.tokenizer.batch_decode(out, skip_special_tokens=True)]
        return [_fields_from_text(s, t) for s, t in zip(texts, transcripts, strict=True)]


LLM_SUMMARY_SYSTEM = (
    "You summarize customer support chats of a weapon shop. Reply with exactly three lines:\n"
    "Issue: <what the customer wanted>\nResolution: <what the agent did>\n"
    "Follow-up: <what still has to happen, or none>"
)


def parse_structured_summary(text: str) -> str:
    """Keep the Issue/Resolution/Follow-up lines of an LLM reply, one sentence each."""
    parts = []
    for label in ("Issue", "Resolution", "Follow-up"):
        match = re.search(rf"{label}\s*:\s*(.+)", text, flags=re.IGNORECASE)
        if match:
            value = match.group(1).strip().rstrip(".")
            parts.append(f"{label}: {value}.")
    return " ".join(parts) if parts else text.strip()


class LLMSummarizer(Summarizer):
    """The chat LLM with a structured prompt, batched."""

    def __init__(self, provider: Any, max_new_tokens: int = 72, batch_size: int = 8):
        self.provider = provider
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.name = f"llm:{provider.name}"

    def summarize_batch(self, transcripts: Sequence[str]) -> list[ConversationSummary]:
        replies: list[str] = []
        for start in range(0, len(transcripts), self.batch_size):
            batch = [
                [
                    {"role": "system", "content": LLM_SUMMARY_SYSTEM},
                    {"role": "user", "content": t},
                ]
                for t in transcripts[start : start + self.batch_size]
            ]
            replies += self.provider.generate_batch(batch, self.max_new_tokens)
        return [
            _fields_from_text(parse_structured_summary(r), t)
            for r, t in zip(replies, transcripts, strict=True)
        ]


def load_summarizer(folder: str | Path) -> Summarizer:
    """A saved summarizer folder: the fine-tuned support summarizer, the template baseline, or
    any seq2seq model directory."""
    from hashira_assets.assistant.support_summarizer import (
        is_support_summarizer,
        load_support_summarizer,
    )

    folder = Path(folder)
    if is_support_summarizer(folder):
        return load_support_summarizer(folder)
    if (folder / "summarizer.json").exists():
        return TemplateSummarizer.load(folder)
    return Seq2SeqSummarizer(folder)
