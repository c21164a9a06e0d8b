"""Turning a pasted support conversation into speaker turns the app database can store."""

from __future__ import annotations

SPEAKER_PREFIXES = {"customer": "customer", "agent": "agent", "support": "agent"}


def parse_transcript(text: str) -> list[tuple[str, str]]:
    """(speaker, text) turns from lines like `Customer: …` / `Agent: …`; a line without a
    speaker continues the previous turn. Raises ValueError naming the first unreadable line."""
    turns: list[tuple[str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        head, sep, rest = line.partition(":")
        speaker = SPEAKER_PREFIXES.get(head.strip().lower()) if sep else None
        if speaker is not None and rest.strip():
            turns.append((speaker, rest.strip()))
        elif turns:
            turns[-1] = (turns[-1][0], f"{turns[-1][1]} {line}")
        else:
            raise ValueError(
                f"Line {number} does not start with `Customer:` or `Agent:`: {line[:60]!r}"
            )
    if not turns:
        raise ValueError("The conversation has no `Customer:` or `Agent:` lines.")
    return turns
