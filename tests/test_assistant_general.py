"""General questions answered from the shop's own FAQs and catalog, or declined."""

from __future__ import annotations

import pytest

from hashira_assets.assistant.general import (
    FaqBook,
    general_answer,
    general_kind,
    type_summary,
    types_named,
)
from hashira_assets.index.embedding import embed

ROWS = [
    {"product_id": 1, "name": "Ember Katana", "product_type": "Katana", "breathing_style": "Flame",
     "price": 200.0, "weight_kg": 1.2,
     "text": "Ember Katana\nQ: How heavy is the Ember Katana? A: It weighs 1.20 kg.\n"
             "Q: How do I care for the Ember Katana? A: Oil the blade weekly."},
    {"product_id": 2, "name": "Tide Katana", "product_type": "Katana", "breathing_style": "Water",
     "price": 400.0, "weight_kg": 1.4, "text": "Tide Katana"},
    {"product_id": 3, "name": "Stone Nodachi", "product_type": "Nodachi",
     "breathing_style": "Stone", "price": 600.0, "weight_kg": 2.5,
     "text": "Stone Nodachi\nQ: How do I care for the Stone Nodachi? A: Dry it after rain."},
]  # fmt: skip
TYPES = ["Katana", "Nodachi", "Haori"]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("what is a nodachi?", "definition"),
        ("katanas vs nodachis", "difference"),
        ("what's the difference between a katana and a nodachi", "difference"),
        ("how do I look after my katana?", "how_to"),
        ("a katana under 300 please", None),
        ("show me nodachi for stone breathing", None),
    ],
)
def test_general_questions_are_recognized_by_their_form(question, kind):
    assert general_kind(question, types_named(question, TYPES)) == kind


def test_types_named_take_plurals():
    assert types_named("Katanas or nodachis?", TYPES) == ["Katana", "Nodachi"]


def test_faq_forms_and_type_summaries_come_from_the_shops_own_rows():
    book = FaqBook(ROWS, embed)
    assert set(book.forms) == {"How heavy is the {product}?", "How do I care for the {product}?"}
    assert book.forms["How do I care for the {product}?"] == [
        (1, "Katana", "Oil the blade weekly."),
        (3, "Nodachi", "Dry it after rain."),
    ]
    text, cited = type_summary("Katana", ROWS)
    assert text == (
        "Katana: 2 in our catalog, for 2 breathing styles, 1.20-1.40 kg (median 1.30 kg), "
        "priced 200.00-400.00 (median 300.00)"
    )
    assert cited == [2]


def test_care_questions_get_the_faq_answer_and_others_are_declined():
    book = FaqBook(ROWS, embed)
    text, cited = general_answer(
        "how_to", "how should I look after my nodachi?", ["Nodachi"], ROWS, book
    )
    assert cited == [3] and text.endswith("Dry it after rain.")
    assert general_answer("how_to", "how do I become a hashira?", [], ROWS, book) is None


def test_differences_are_built_from_the_catalog_for_both_types():
    text, cited = general_answer("difference", "katana vs nodachi", ["Katana", "Nodachi"], ROWS,
                                 FaqBook(ROWS, embed))  # fmt: skip
    assert text.splitlines()[0] == "How they differ in our catalog:"
    assert "Katana: 2 in our catalog" in text and "Nodachi: 1 in our catalog" in text
    assert cited == [2, 3]


@pytest.mark.slow
def test_general_benchmark_grades_from_the_raw_tables(
    tiny_index, tiny_documents, tiny_world, local_llm
):
    """The real engine on the tiny world, and an engine that answers everything wrongly."""
    from hashira_assets.assistant.chat import ChatAnswer, ChatEngine, ChatSession
    from hashira_assets.assistant.general_evaluation import evaluate_general

    products = tiny_documents.to_pylist()
    engine = ChatEngine(tiny_index, local_llm, max_new_tokens=32)
    result = evaluate_general(
        lambda q: engine.ask(ChatSession(), q), products, tiny_world.out_dir, seed=1, n_pairs=4
    )
    assert result["definition_questions"] == len({p["product_type"] for p in products})
    assert result["definition_pass_share"] == 1.0
    assert result["care_pass_share"] >= 0.8
    assert result["difference_pass_share"] == 1.0
    assert result["off_pass_share"] >= 0.8

    # A wrong count, a product of another type, a made-up care tip: none of it is credited.
    other = next(p for p in products if p["product_type"] != products[0]["product_type"])

    def wrong(question):
        return ChatAnswer(
            text="Katana: 999 in our catalog, priced 1.00-2.00. Oil it daily.",
            cited_ids=[int(other["product_id"]), int(products[0]["product_id"])],
            source="data",
            notices=[],
        )

    bad = evaluate_general(wrong, products, tiny_world.out_dir, seed=1, n_pairs=4)
    assert bad["answerable_pass_share"] == 0.0 and bad["off_pass_share"] == 0.0
