"""The fact check of summaries, on hand-written cases and on fuzzed text."""

from hypothesis import given, settings
from hypothesis import strategies as st

from hashira_assets.assistant.faithfulness import (
    claimed_actions,
    is_faithful,
    supported_actions,
    unsupported_facts,
)
from hashira_assets.assistant.support_summarizer import structured_summary

CHAT = (
    "Customer: my order HM-40001 never came, I want a refund\n"
    "Agent: Sorry! It was lost by the courier. I can't refund it yet, but I'm reshipping it today; "
    "expect it within 4 days.\n"
    "Customer: ok"
)


def kinds(summary: str, transcript: str = CHAT, names=()) -> set[tuple[str, str]]:
    return {(f.kind, f.value) for f in unsupported_facts(summary, transcript, names)}


def test_a_faithful_summary_passes():
    summary = "Customer said order HM-40001 never arrived. The agent reshipped it, due in 4 days."
    assert is_faithful(summary, CHAT)


def test_an_invented_or_refused_action_is_caught():
    assert kinds("The agent refunded order HM-40001.") == {("action", "refund")}
    assert kinds("The agent sent a replacement.") == {("action", "replacement")}


def test_what_the_customer_asked_for_is_not_a_claim():
    assert claimed_actions("The customer wanted a refund for HM-40001.") == set()
    assert is_faithful("Customer asked for a refund; the agent reshipped it instead.", CHAT)


def test_wrong_numbers_orders_and_products_are_caught():
    assert kinds("The agent reshipped order HM-40002 within 4 days.") == {("order", "HM-40002")}
    assert kinds("The agent reshipped it; it arrives in 5 days.") == {("number", "5")}
    assert kinds("The agent reshipped the katana.") == {("product", "katana")}
    assert kinds("Reshipped the Storm Blade.", names=["Storm Blade"]) == {
        ("product", "Storm Blade"),
        ("product", "blade"),
    }


def test_negated_offers_support_nothing():
    chat = "Customer: cancel please\nAgent: It has shipped, so I cannot cancel it."
    assert supported_actions(chat) == set()
    assert kinds("The agent cancelled the order.", chat) == {("action", "cancellation")}
    assert is_faithful("It had shipped, so the order could not be cancelled.", chat)


def test_the_extractive_fallback_quotes_and_stays_faithful():
    summary = structured_summary(CHAT)
    assert summary.startswith("Customer: my order HM-40001 never came, I want a refund.")
    assert "Agent: " in summary and "reshipping" in summary
    assert is_faithful(summary, CHAT)


lines = st.lists(
    st.tuples(st.sampled_from(["Customer", "Agent", "customer", ""]), st.text(max_size=80)),
    min_size=0,
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(lines)
def test_fuzzed_transcripts_never_crash_and_their_extractive_summary_is_faithful(turns):
    transcript = "\n".join(f"{who}: {text}" if who else text for who, text in turns)
    summary = structured_summary(transcript)
    assert isinstance(summary, str)
    # Every number, order and product word it holds is copied from the transcript.
    assert {f.kind for f in unsupported_facts(summary, transcript)} <= {"action"}
