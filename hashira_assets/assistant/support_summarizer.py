"""The support summarizer the graph trains: a writer for the summary, a labeler for its fields,
and the fact check between them and the reader.

The writer is the fine-tuned SmolLM2 (or Gemini when `GOOGLE_API_KEY` is set). Every summary it
writes is checked against its transcript (`faithfulness`); one that states an unsupported fact
is replaced by a structured extractive summary — the customer's own words for the issue, the
agent's for the outcome — and the note says so. Category, resolution and sentiment come from the
labeler with their confidences.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hashira_assets.assistant.faithfulness import (
    ACTIONS,
    SPEAKER_RE,
    agent_sentences,
    unsupported_facts,
)
from hashira_assets.assistant.summarizers import ConversationSummary, Summarizer
from hashira_assets.assistant.support_labels import SupportLabeler

CONFIG_FILE = "support_summarizer.json"
ADAPTER_FILE = "lora.pt"
LABELER_FILE = "labeler.joblib"
_SENTENCE_END = (".", "!", "?")
MAX_ISSUE_WORDS = 40


def _customer_opening(transcript: str) -> str:
    for line in transcript.splitlines():
        match = SPEAKER_RE.match(line)
        if match and match.group(1).lower() == "customer" and line[match.end() :].strip():
            return line[match.end() :].strip()
    lines = [line.strip() for line in transcript.splitlines() if line.strip()]
    return lines[0] if lines else ""


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith(_SENTENCE_END) else text + "."


def structured_summary(transcript: str) -> str:
    """A summary made only of the transcript's own sentences: the customer's opening (the
    issue) and the agent's last sentence that offers an action (else the agent's last)."""
    words = _customer_opening(transcript).split()
    issue = " ".join(words[:MAX_ISSUE_WORDS]) + (" …" if len(words) > MAX_ISSUE_WORDS else "")
    sentences = agent_sentences(transcript)
    acting = [s for s in sentences if any(w in s.lower() for ws in ACTIONS.values() for w in ws)]
    outcome = (acting or sentences or [""])[-1]
    parts = [f"Customer: {_sentence(issue)}" if issue else ""]
    if outcome:
        parts.append(f"Agent: {_sentence(outcome)}")
    return " ".join(p for p in parts if p)


Writer = Callable[[Sequence[str]], list[str]]


class SupportSummarizer(Summarizer):
    """Writer + labeler + fact check (see the module docstring)."""

    def __init__(
        self,
        writer: Writer | None,
        labeler: SupportLabeler,
        product_names: Sequence[str] = (),
        name: str = "support-summarizer",
    ):
        self.writer = writer
        self.labeler = labeler
        self.product_names = sorted(set(product_names))
        self.name = name

    def summarize_batch(self, transcripts: Sequence[str]) -> list[ConversationSummary]:
        transcripts = list(transcripts)
        if not transcripts:
            return []
        labels = self.labeler.label_batch(transcripts)
        written = self.writer(transcripts) if self.writer else [""] * len(transcripts)
        out = []
        for transcript, text, label in zip(transcripts, written, labels, strict=True):
            problems = unsupported_facts(text, transcript, self.product_names) if text else []
            if text and not problems:
                summary, faithful, note = text, True, ""
            else:
                summary, faithful = structured_summary(transcript), False
                note = (
                    "extractive summary: the written one stated "
                    + ", ".join(str(p) for p in problems)
                    + ", which the conversation does not support"
                    if problems
                    else "extractive summary: no summary was written"
                )
            out.append(
                ConversationSummary(
                    summary=summary,
                    issue_category=label.issue_category,
                    resolution=label.resolution,
                    sentiment=label.sentiment,
                    category_confidence=label.category_confidence,
                    resolution_confidence=label.resolution_confidence,
                    sentiment_confidence=label.sentiment_confidence,
                    faithful=faithful,
                    note=note,
                )
            )
        return out


def provider_writer(provider: Any, max_new_tokens: int = 80, batch_size: int = 8) -> Writer:
    """A writer over a chat LLM provider (Gemini): a short prompt, one paragraph back."""
    system = (
        "Summarize the customer support chat in one or two sentences: the customer's issue, "
        "what the agent did, and how it ended. State only facts from the chat."
    )

    def write(transcripts: Sequence[str]) -> list[str]:
        replies: list[str] = []
        for start in range(0, len(transcripts), batch_size):
            batch = [
                [{"role": "system", "content": system}, {"role": "user", "content": t}]
                for t in transcripts[start : start + batch_size]
            ]
            replies += provider.generate_batch(batch, max_new_tokens)
        return [" ".join(r.split()) for r in replies]

    return write


# --------------------------------------------------------------------------- the fine-tuned model


@dataclasses.dataclass
class NeuralWriter:
    """The fine-tuned model as a writer; its generation settings stay visible (and tunable)."""

    model: Any
    tokenizer: Any
    settings: Any

    def __call__(self, transcripts: Sequence[str]) -> list[str]:
        from hashira_assets.assistant.neural_summarizer import generate

        return generate(self.model, self.tokenizer, transcripts, self.settings)


def save_support_summarizer(
    folder: Path,
    adapters: dict,
    settings: Any,
    labeler: SupportLabeler,
    product_names: Sequence[str],
    extra: dict | None = None,
) -> Path:
    """The adapters, the labeler and the settings in one folder (the base model is bundled)."""
    import joblib
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(adapters, folder / ADAPTER_FILE)
    joblib.dump(labeler, folder / LABELER_FILE)
    meta = {
        "kind": "smollm2-lora",
        "base_model": "SmolLM2-135M-Instruct (bundled GGUF, de-quantized)",
        "settings": dataclasses.asdict(settings),
        "product_names": list(product_names),
        **(extra or {}),
    }
    (folder / CONFIG_FILE).write_text(json.dumps(meta, indent=1))
    return folder


def load_support_summarizer(folder: Path) -> SupportSummarizer:
    """A saved folder as a ready summarizer: base model + merged adapters + labeler."""
    import joblib
    import torch

    from hashira_assets.assistant.lora import load_lora
    from hashira_assets.assistant.neural_summarizer import (
        NeuralSettings,
        load_base_model,
        merged_for_generation,
    )

    folder = Path(folder)
    meta = json.loads((folder / CONFIG_FILE).read_text())
    settings = NeuralSettings(**meta["settings"])
    model, tokenizer = load_base_model()
    state = torch.load(folder / ADAPTER_FILE, map_location="cpu", weights_only=True)
    load_lora(model, state, settings.rank, settings.alpha)
    model = merged_for_generation(model)
    labeler = joblib.load(folder / LABELER_FILE)
    writer, name = gemini_first(NeuralWriter(model, tokenizer, settings), meta["kind"])
    return SupportSummarizer(writer, labeler, meta["product_names"], name)


def gemini_first(local: Writer, local_name: str) -> tuple[Writer, str]:
    """Gemini writes the summaries when `GOOGLE_API_KEY` is set; a batch it fails on (quota,
    timeout) is written by the local model. Without a key: the local model."""
    key = os.environ.get("GOOGLE_API_KEY")
    if not key:
        return local, local_name
    from resources.llm import GeminiProvider, LLMError

    gemini = provider_writer(GeminiProvider(key))

    def write(transcripts: Sequence[str]) -> list[str]:
        try:
            return gemini(transcripts)
        except (LLMError, TimeoutError, ConnectionError):
            return local(transcripts)

    return write, f"gemini, else {local_name}"


def is_support_summarizer(folder: Path) -> bool:
    return (Path(folder) / CONFIG_FILE).exists()
