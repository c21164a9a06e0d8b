"""Input hygiene for the chat: over-long messages are cut, instruction-like text is neutralised."""

from __future__ import annotations

import re

MAX_INPUT_CHARS = 600
# Phrases that try to re-program the assistant. They are removed from user messages and from
# product texts before either reaches the prompt; the engine's rules live in code, not in text.
_INJECTION = re.compile(
    r"(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+|your\s+)?"
    r"(previous|prior|above|earlier|system)?\s*(instructions?|rules?|prompts?|directions?)"
    r"|you\s+are\s+now\b|act\s+as\b|new\s+instructions?\s*:|^\s*system\s*:|<\|im_start\|>"
    r"|<\|im_end\|>|reveal\s+(the\s+|your\s+)?(system\s+)?prompt",
    flags=re.IGNORECASE | re.MULTILINE,
)
_SENTENCE = re.compile(r"[^.!?\n]*[.!?\n]?")


def cut_input(text: str, limit: int = MAX_INPUT_CHARS) -> tuple[str, str | None]:
    """The text cut to `limit` characters, and a notice when it was cut."""
    if len(text) <= limit:
        return text, None
    return text[
        :limit
    ], f"Your message was {len(text):,} characters; only the first {limit} were read."


def has_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))


def neutralize(text: str) -> str:
    """The text without the sentences that carry instruction-like phrases."""
    if not has_injection(text):
        return text
    kept = [s for s in _SENTENCE.findall(text) if s.strip() and not _INJECTION.search(s)]
    return " ".join(s.strip() for s in kept).strip()
