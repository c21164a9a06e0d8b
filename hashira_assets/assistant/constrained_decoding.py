"""Decoding constraints that keep the writer to its transcript's facts while it writes.

The fact check (`faithfulness`) catches a summary that states a number, an order or an action the
chat does not support, and replaces it with an extractive one. Most of what it caught in the
fine-tuned model's summaries could not have been written with these two rules in force:

- **numbers**: a run of digits must spell a run of digits of the transcript (an amount, an order
  number, a day), so no number the chat lacks can be written;
- **actions never named**: an action the chat names nowhere, asked for or done (an escalation, a
  return), may not be started.

An action the chat names but the agent did not take ("i want a refund" / "i can't refund that")
can still be written as taken; the fact check stays the last word on that.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

import torch

from hashira_assets.assistant.faithfulness import ACTIONS, mentioned_actions

DIGITS = "0123456789"
# Words of an action's phrases that do not name it by themselves ("store credit", "send back").
_NOT_ACTION_WORDS = frozenset(
    {"store", "passed", "label", "another", "money", "back", "send", "sent", "free", "list",
     "waiting", "prepaid", "take"}
)  # fmt: skip
_MIN_STEM = 5


def action_stems(action: str) -> tuple[str, ...]:
    """The words (or word starts) that name an action: 'escalat', 'refund', 'return'…"""
    words = {w for phrase in ACTIONS[action] for w in re.findall(r"[a-z]+", phrase)}
    return tuple(sorted(w for w in words if len(w) >= _MIN_STEM and w not in _NOT_ACTION_WORDS))


@dataclasses.dataclass(frozen=True)
class ConstraintVocabulary:
    """A tokenizer's tokens the constraints act on."""

    digit_ids: dict[str, int]  # "0" … "9"
    digit_of: dict[int, str]  # the other way round
    other_digit_ids: tuple[int, ...]  # other tokens with digits (superscripts…): never written
    action_ids: dict[str, tuple[int, ...]]  # tokens that start a word naming the action


@functools.cache
def constraint_vocabulary(tokenizer: Any) -> ConstraintVocabulary:
    """The digit tokens and, per action, the tokens that start a word naming it."""
    texts = {i: tokenizer.decode([i]) for i in tokenizer.get_vocab().values()}
    digit_ids = {text: i for i, text in texts.items() if text in DIGITS and len(text) == 1}
    others = tuple(
        sorted(i for i, t in texts.items() if any(c.isdigit() for c in t) and i not in set(
            digit_ids.values()))
    )  # fmt: skip
    action_ids = {}
    for action in ACTIONS:
        stems = action_stems(action)
        ids = []
        for i, text in texts.items():
            word = text.lower().lstrip()
            if not word:
                continue
            starts_word = text[:1].isspace()
            if any(word.startswith(stem) for stem in stems) or (
                starts_word and len(word) >= 4 and any(stem.startswith(word) for stem in stems)
            ):
                ids.append(i)
        action_ids[action] = tuple(sorted(ids))
    return ConstraintVocabulary(digit_ids, {i: d for d, i in digit_ids.items()}, others, action_ids)


class TranscriptConstraint:
    """What one row may write next, given its transcript and what it has written so far."""

    def __init__(self, vocabulary: ConstraintVocabulary, transcript: str):
        self.vocabulary = vocabulary
        self.numbers = frozenset(re.findall(r"\d+", transcript))
        self.prefixes = frozenset(n[:k] for n in self.numbers for k in range(1, len(n) + 1))
        unnamed = set(ACTIONS) - mentioned_actions(transcript, typos=True)
        banned = set(vocabulary.other_digit_ids)
        for action in unnamed:
            banned.update(vocabulary.action_ids[action])
        self.unnamed_actions = frozenset(unnamed)
        self.banned = torch.tensor(sorted(banned), dtype=torch.long)
        self.run = ""  # the digits written since the last other token

    def restrict(self, logits: torch.Tensor) -> None:
        """Set the logits of the tokens this row may not write next to -inf (in place)."""
        digits = self.vocabulary.digit_ids
        if self.run and self.run not in self.numbers:
            # Mid-number: only digits that keep spelling one of the transcript's numbers.
            allowed = [i for d, i in digits.items() if self.run + d in self.prefixes]
            keep = logits[allowed].clone()
            logits.fill_(float("-inf"))
            logits[allowed] = keep
            return
        logits[self.banned] = float("-inf")
        # A number starts, or a complete one goes on, only as one of the transcript's does.
        logits[[i for d, i in digits.items() if self.run + d not in self.prefixes]] = float("-inf")

    def advance(self, token_id: int) -> None:
        """Note what the row wrote."""
        digit = self.vocabulary.digit_of.get(token_id)
        self.run = self.run + digit if digit is not None else ""
