"""The summaries part of `hashira bench assistant`: the trained summarizer on three sets, beside
the extractive baseline and the old frame-template model.

The sets: the generator's held-out phrasing set, its held-out agents and issue mixes, and
hand-written conversations nobody here generated (a folder of `*.txt` chats with a
`references.json`, e.g. `../shared/support_dev/`; never trained on). Their categories are free
text: one the project lacks counts as a miss.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hashira_assets.assistant.faithfulness import unsupported_facts
from hashira_assets.assistant.summaries import load_conversations
from hashira_assets.assistant.summarizer_training import (
    SummarizerBudget,
    evaluate_summarizer,
    fit_and_score,
    sample,
    split_conversations,
)
from hashira_assets.assistant.summarizers import ExtractiveSummarizer, TemplateSummarizer


def load_handwritten(folder: Path) -> list[dict]:
    """Hand-written conversations with their references, as the evaluation reads them."""
    references = json.loads((Path(folder) / "references.json").read_text())
    return [
        {
            "conversation_id": i,
            "name": name,
            "transcript": (Path(folder) / name).read_text(),
            "reference_summary": ref["summary"],
            "issue_category": ref["category"],
            "sentiment": ref["sentiment"],
        }
        for i, (name, ref) in enumerate(sorted(references.items()))
    ]


def _template_model(train: list[dict], names: list[str], seed: int) -> TemplateSummarizer:
    return TemplateSummarizer(names).fit(
        [c["transcript"] for c in train],
        [c["reference_summary"] for c in train],
        [c["issue_category"] for c in train],
        [c["resolution_type"] for c in train],
        [c["sentiment"] for c in train],
        seed=seed,
    )


def per_conversation(summarizer: Any, conversations: list[dict], names: list[str]) -> list[dict]:
    """Each hand-written conversation's summary, fields and unsupported facts (for reading)."""
    out = summarizer.summarize_batch([c["transcript"] for c in conversations])
    return [
        {
            "name": c.get("name", c["conversation_id"]),
            "summary": o.summary,
            "issue_category": o.issue_category,
            "reference_category": c["issue_category"],
            "category_confidence": o.category_confidence,
            "sentiment": o.sentiment,
            "fell_back": o.faithful is False,
            "note": o.note,
            "unsupported": [str(f) for f in unsupported_facts(o.summary, c["transcript"], names)],
        }
        for o, c in zip(out, conversations, strict=True)
    ]


def evaluate_summaries(
    raw_dir: Path,
    budget: SummarizerBudget,
    seed: int,
    handwritten_dir: Path | None,
    time_all: bool,
    log: Callable[[str], None] = lambda _: None,
) -> dict:
    """Train the summarizer at `budget`, then score it and both baselines on every set."""
    from hashira_assets.index.documents import read_table

    conversations = load_conversations(raw_dir)
    splits = split_conversations(conversations)
    names = read_table(raw_dir, "products")["name"].to_pylist()
    fitted = fit_and_score(raw_dir, budget, seed, log)
    log("summaries: baselines")
    template = _template_model(splits["train"], names, seed)
    sets = dict(fitted.heldout)
    if handwritten_dir is not None and (Path(handwritten_dir) / "references.json").exists():
        sets["handwritten"] = load_handwritten(handwritten_dir)
    results: dict[str, Any] = {}
    for name, items in sets.items():
        model_scores = fitted.scores.get(name) or evaluate_summarizer(fitted.model, items, names)
        results[name] = {
            "n": len(items),
            "model": model_scores,
            "extractive_baseline": evaluate_summarizer(ExtractiveSummarizer(), items, names),
            "template_model": evaluate_summarizer(template, items, names),
        }
    if "handwritten" in sets:
        results["handwritten"]["conversations"] = per_conversation(
            fitted.model, sets["handwritten"], names
        )
    report = fitted.fine_tune
    out: dict[str, Any] = {
        "sets": results,
        "training": {
            "sample_size": report.sample_size,
            "examples_seen": report.examples_seen,
            "steps": report.steps,
            "fine_tune_s": report.seconds,
            "train_s_with_labeler": fitted.train_seconds,
            "budget_s": budget.neural.budget_seconds,
            "stopped_by_budget": report.stopped_by_budget,
            "final_loss": report.losses[-1] if report.losses else None,
            "train_conversations": len(splits["train"]),
        },
    }
    one = sample(splits["phrasing"] or splits["train"], 1, seed)
    start = time.perf_counter()
    fitted.model.summarize_batch([c["transcript"] for c in one])
    out["one_conversation_s"] = time.perf_counter() - start
    if time_all:
        log(f"summaries: timing all {len(conversations)} conversations")
        start = time.perf_counter()
        written = fitted.model.summarize_batch([c["transcript"] for c in conversations])
        seconds = time.perf_counter() - start
        out["all_conversations"] = {
            "n": len(conversations),
            "seconds": seconds,
            "fallback_share": sum(o.faithful is False for o in written) / max(len(written), 1),
        }
    return out
