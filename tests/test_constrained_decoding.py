"""The writer's decoding constraints: digits spell only the transcript's numbers, and an action
the transcript never names cannot be started."""

import pytest
import torch

from hashira_assets.assistant.constrained_decoding import (
    ConstraintVocabulary,
    TranscriptConstraint,
    action_stems,
)
from hashira_assets.assistant.faithfulness import ACTIONS

# A made-up vocabulary: ids 0-9 are the digits, 10 a superscript two, 20+ start action words.
ESCALATION, REFUND, WORD = 20, 21, 30
VOCAB = ConstraintVocabulary(
    digit_ids={str(d): d for d in range(10)},
    digit_of={d: str(d) for d in range(10)},
    other_digit_ids=(10,),
    action_ids={a: () for a in ACTIONS} | {"escalation": (ESCALATION,), "refund": (REFUND,)},
)


def allowed(constraint: TranscriptConstraint) -> set[int]:
    logits = torch.zeros(32)
    constraint.restrict(logits)
    return {i for i in range(32) if logits[i] > float("-inf")}


def write(constraint: TranscriptConstraint, *tokens: int) -> TranscriptConstraint:
    for token in tokens:
        constraint.advance(token)
    return constraint


TRANSCRIPT = "Customer: order HM-123 cost 45, can i get a refund?\nAgent: yes, refunded."


def test_a_number_starts_only_as_one_of_the_transcripts_does():
    start = allowed(TranscriptConstraint(VOCAB, TRANSCRIPT)) & set(range(10))
    assert start == {1, 4}


@pytest.mark.parametrize(
    ("written", "digits_next", "others_allowed"),
    [
        ((1,), {2}, False),  # mid-number: only the digit that keeps spelling 123
        ((1, 2), {3}, False),
        ((1, 2, 3), set(), True),  # complete: it ends here
        ((4,), {5}, False),
        ((4, 5, WORD), {1, 4}, True),  # a new number after a word
    ],
)
def test_digits_keep_spelling_a_number_of_the_transcript(written, digits_next, others_allowed):
    constraint = write(TranscriptConstraint(VOCAB, TRANSCRIPT), *written)
    ok = allowed(constraint)
    assert ok & set(range(10)) == digits_next
    assert (WORD in ok) is others_allowed


def test_an_action_the_chat_never_names_cannot_be_started():
    ok = allowed(TranscriptConstraint(VOCAB, TRANSCRIPT))
    assert ESCALATION not in ok  # nobody spoke of escalating
    assert REFUND in ok  # the chat names a refund (whether it was given is the fact check's)
    assert 10 not in ok  # digits in other forms are never written
    named = "Customer: please escalate this\nAgent: ok"
    assert ESCALATION in allowed(TranscriptConstraint(VOCAB, named))


def test_a_customers_typo_still_names_the_action():
    assert REFUND in allowed(TranscriptConstraint(VOCAB, "Customer: i want a refnd\nAgent: ok"))


@pytest.mark.parametrize(
    ("action", "stems"),
    [
        ("escalation", ("escalat",)),
        ("store credit", ("credit",)),
        ("refund", ("refund", "reimburs")),
        ("return", ("return",)),
    ],
)
def test_action_stems_are_the_words_that_name_the_action(action, stems):
    assert action_stems(action) == stems
