"""The shopper-question grader and the answer checks, on a hand-made six-product catalog."""

import pytest

from hashira_assets.assistant import grounding as g
from hashira_assets.assistant.checks import degenerate, first_sentence, model_text_failures
from hashira_assets.assistant.shopper_grading import grade_answer, grade_question_set
from hashira_assets.assistant.understanding import explicit_types, named_in


def _p(pid, name, ptype, style, price, weight, stock, rarity="common", dept="accessory"):
    return {
        "product_id": pid,
        "name": name,
        "product_type": ptype,
        "department": dept,
        "breathing_style": style,
        "rarity": rarity,
        "price": price,
        "weight_kg": weight,
        "sharpness": 60,
        "stock": stock,
    }


CATALOG = [
    _p(1, "Iron Mist Whetstone", "Whetstone", "Mist", 12.5, 0.40, 3),
    _p(2, "Jade Mist Whetstone", "Whetstone", "Mist", 9.0, 0.35, 0),
    _p(3, "Jade Mist Whetstone Mk 2", "Whetstone", "Mist", 10.0, 0.30, 5),
    _p(4, "Ember Flame Katana", "Katana", "Flame", 300.0, 1.2, 2, "legendary", "weapon"),
    _p(5, "Ash Flame Katana", "Katana", "Flame", 250.0, 1.1, 1, "rare", "weapon"),
    _p(6, "Dusk Flame Haori", "Haori", "Flame", 70.0, 0.5, 9),
]


def test_main_product_is_the_first_named_in_the_main_sentence_longest_name_first():
    spec = {"q": "cheap whetstone", "main_is": {"cheapest_of": {"product_type": "Whetstone",
                                                               "in_stock": True}}}  # fmt: skip
    right = grade_answer(spec, "The Jade Mist Whetstone Mk 2 costs 10.00.", [3], "data", CATALOG)
    assert right.main_id == 3 and right.passed
    # Naming the out-of-stock Jade Mist Whetstone (9.00) is not the cheapest in stock.
    wrong = grade_answer(spec, "The Jade Mist Whetstone costs 9.00.", [2], "data", CATALOG)
    assert wrong.main_id == 2 and not wrong.checks["main_is"]


def test_a_product_merely_listed_after_the_main_sentence_earns_nothing():
    spec = {"q": "a haori?", "main_type_in": ["Haori"]}
    text = "The Iron Mist Whetstone costs 12.50.\n- Dusk Flame Haori (id 6): price 70.00"
    grade = grade_answer(spec, text, [1, 6], "data", CATALOG)
    assert grade.main_id == 1 and not grade.checks["main_type_in"] and not grade.passed


def test_cited_all_stock_price_and_false_facts():
    spec = {"q": "legendary katanas", "cited_all": {"product_type": "Katana",
                                                    "rarity": "legendary"}}  # fmt: skip
    assert grade_answer(spec, "The Ember Flame Katana costs 300.00.", [4], "data", CATALOG).passed
    assert not grade_answer(
        spec, "The Ember Flame Katana costs 300.00.", [4, 5], "data", CATALOG
    ).passed
    stock = {"q": "is it in stock", "must_state": "stock"}
    assert grade_answer(stock, "The Ash Flame Katana is in stock.", [5], "llm", CATALOG).passed
    lie = grade_answer(stock, "The Ash Flame Katana is in stock at 199.00.", [5], "llm", CATALOG)
    assert not lie.checks["facts_true"]


def test_conversation_properties_and_idk():
    questions = {
        "single": [{"q": "rifles?", "idk": True}],
        "conversations": [[
            {"q": "whetstones", "main_type_in": ["Whetstone"]},
            {"q": "a cheaper one?", "main_cheaper_than_previous": True},
            {"q": "how much is it?", "must_state": "price", "main_same_as_previous": True},
        ]],
    }  # fmt: skip
    replies = iter([
        ("I don't know: that is not something our catalog has (rifles).", [1], "idk"),
        ("The Iron Mist Whetstone costs 12.50.", [1], "data"),
        ("The Jade Mist Whetstone Mk 2 is cheaper (10.00).", [3, 1], "data"),
        ("The Jade Mist Whetstone Mk 2 costs 10.00.", [3], "llm"),
    ])  # fmt: skip

    class A:
        def __init__(self, t):
            self.text, self.cited_ids, self.source = t

    result = grade_question_set(lambda s, q: A(next(replies)), dict, questions, CATALOG)
    assert result["single_pass_share"] == 1.0
    assert result["conversation_turn_pass_share"] == 1.0
    assert result["llm_kept_share"] == pytest.approx(0.25)


def test_degenerate_repetition_is_caught_but_list_lines_are_not():
    assert degenerate("Insect Breathing: 100% of the above: 100% of the above: 100% of the above")
    assert degenerate("It is high-end, high-end, high-end, high-end, high-end and more.")
    listing = "\n".join(f"- P{i} (id {i}): common Whetstone for Mist Breathing" for i in range(5))
    assert not degenerate("The P1 is good.\n" + listing)
    assert first_sentence("The X costs 1.50. More.") == "The X costs 1.50."


def test_model_text_checks():
    names = {p["name"].lower(): p["product_id"] for p in CATALOG}
    main, chosen = CATALOG[2], CATALOG[:3]
    ok = "The Jade Mist Whetstone Mk 2 costs 10.00, and it is in stock."
    assert model_text_failures(ok, main, chosen, names, ["Mist", "Flame"], "price") == []
    wrong_product = "The Jade Mist Whetstone costs 10.00."
    assert model_text_failures(wrong_product, main, chosen, names, ["Mist"], "price")
    no_fact = "The Jade Mist Whetstone Mk 2 is a fine stone."
    failures = model_text_failures(no_fact, main, chosen, names, ["Mist"], "price")
    assert failures == ["main sentence does not state the price"]
    preamble = "The customer asked about it: The Jade Mist Whetstone Mk 2 costs 10.00."
    assert model_text_failures(preamble, main, chosen, names, ["Mist"], "price")
    outside = "The Jade Mist Whetstone Mk 2 costs 10.00, like the Ember Flame Katana."
    assert any("constraints" in f for f in model_text_failures(outside, main, chosen, names,
                                                              ["Mist"], "price"))  # fmt: skip


def test_names_types_and_styles_are_read_exactly():
    names = {p["name"].lower(): p["product_id"] for p in CATALOG}
    assert [pid for _, pid, _ in named_in("what does the jade mist whetstone mk2 cost", names)] == [
        3
    ]
    assert [pid for _, pid, _ in named_in("Jade Mist Whetstone or Iron Mist Whetstone", names)] == [
        2,
        1,
    ]
    types = ("Whetstone", "Katana", "Haori", "Whip Sword", "Sword Oil")
    styles = ("Mist", "Stone", "Flame")
    assert explicit_types("two katanas", types, styles) == ["Katana"]
    assert explicit_types("a katanna for mist", types, styles) == ["Katana"]
    assert explicit_types("any whips", types, styles) == ["Whip Sword"]
    assert explicit_types("a sword", types, styles) == []  # "sword" is in two types
    rows = [dict(p, text="") for p in CATALOG]
    vocab = g.CatalogVocabulary.from_rows(rows)
    assert g.parse_question("a sharpening stone", vocab).filters.breathing_style is None
    assert g.parse_question("gear for stone breathing", vocab).filters.breathing_style is None
    intent = g.parse_question("a Mist haori under 80, something for a beginner", vocab)
    assert intent.filters.breathing_style == "Mist" and intent.filters.max_price == 80
    assert intent.filters.product_type == "Haori" and intent.superlative == ("price", "min")
    assert intent.filters.in_stock is True
    stock = g.parse_question("is the Ash Flame Katana in stock?", vocab)
    assert stock.attribute == "stock" and stock.filters.in_stock is None


def test_filters_for_several_types_and_a_rarity_and_follow_up_merging():
    from hashira_assets.assistant.selection import merge_filters
    from hashira_assets.index.search import SearchFilters

    f = SearchFilters(product_types=("Sword Oil", "Whetstone"), rarity="rare", max_price=30)
    assert f.where() == (
        "price <= 30.0 AND rarity = 'rare' AND product_type IN ('Sword Oil', 'Whetstone')"
    )
    merged = merge_filters(f, SearchFilters(product_type="Whetstone", in_stock=True))
    assert merged.product_type == "Whetstone" and merged.product_types is None
    assert merged.max_price == 30 and merged.in_stock is True and merged.rarity == "rare"
    assert merge_filters(None, f) is f
