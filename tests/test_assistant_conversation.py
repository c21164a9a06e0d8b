"""Needs, follow-ups and checked answers with the real MiniLM and SmolLM2 on the tiny index."""

import pytest

from hashira_assets.assistant import facts
from hashira_assets.assistant.chat import ChatEngine, ChatSession
from hashira_assets.assistant.checks import first_sentence, named_products
from hashira_assets.assistant.understanding import (
    TYPE_GLOSSES,
    TypeMatcher,
    is_rare_word,
    need_text,
    owned_weapon,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(tiny_index, local_llm):
    return ChatEngine(tiny_index, local_llm, max_new_tokens=32)


@pytest.fixture(scope="module")
def rows(tiny_documents):
    return tiny_documents.to_pylist()


def _main(answer, rows):
    named = named_products(first_sentence(answer.text), rows)
    return named[0] if named else None


def test_needs_map_to_catalog_types():
    matcher = TypeMatcher(TYPE_GLOSSES)
    assert matcher.match("a stone to sharpen with")[0] == ("Whetstone",)
    assert matcher.match("throwing knives")[0] == ("Kunai Set",)
    assert matcher.match("a coat")[0] == ("Haori",)
    assert matcher.match("smartphone")[0] == ()
    assert is_rare_word("crossbow") and not is_rare_word("friend")
    # An inflected common word is everyday talk, not the name of an off-catalog thing.
    assert not is_rare_word("cleaning") and not is_rare_word("stopped")
    assert is_rare_word("crossbows")


def test_a_need_for_an_owned_weapon_is_an_accessory():
    types = list(TYPE_GLOSSES)
    assert owned_weapon("something for cleaning my blade", types) == "blade"
    assert owned_weapon("my new katana keeps getting rusty", types) == "new katana"
    assert owned_weapon("a gift for my friend", types) is None
    assert need_text("my katana keeps getting rusty", [], types) == "keeps getting rusty"
    accessories = ["Haori", "Scabbard", "Sword Oil", "Tsuba Guard", "Whetstone", "Kunai Set"]
    matcher = TypeMatcher(TYPE_GLOSSES, accessories)
    assert matcher.match("cleaning blade", accessories_only=True)[0] == ("Sword Oil",)
    assert matcher.match("dull blade", accessories_only=True)[0] == ("Whetstone",)


def test_three_follow_ups_act_on_the_previous_result_set(engine, rows):
    groups = {}
    for r in rows:
        groups.setdefault((r["product_type"], r["breathing_style"]), []).append(r)
    (ptype, style), group = max(groups.items(), key=lambda kv: (len(kv[1]), kv[0]))
    assert len(group) >= 2
    session = ChatSession()
    first = engine.ask(session, f"got any {ptype.lower()} for {style} breathers?")
    cited = [r for r in rows if r["product_id"] in first.cited_ids]
    assert cited and all((r["product_type"], r["breathing_style"]) == (ptype, style) for r in cited)

    lightest = engine.ask(session, "and which one of those is the lightest?")
    expected = min(group, key=lambda r: (r["weight_kg"], r["product_id"]))
    assert _main(lightest, rows)["product_id"] == expected["product_id"]

    price = engine.ask(session, "what does it cost?")
    main = _main(price, rows)
    assert main["product_id"] == expected["product_id"]
    assert facts.states_fact(first_sentence(price.text), main, "price")

    cheaper = engine.ask(session, "anything cheaper?")
    options = [r for r in group if r["price"] < expected["price"] and r["stock"] > 0]
    if options:
        pick = _main(cheaper, rows)
        assert pick in options
    else:
        assert cheaper.source == "idk"
    for answer in (first, lightest, price, cheaper):
        if answer.source == "llm":
            assert not answer.check_failures


def test_cleaning_my_blade_gets_sword_oil_or_a_whetstone(engine, rows):
    answer = engine.ask(ChatSession(), "something for cleaning my blade")
    assert answer.source != "idk"
    by_id = {r["product_id"]: r for r in rows}
    cited = [by_id[i]["product_type"] for i in answer.cited_ids]
    assert cited and set(cited) <= {"Sword Oil"}, cited


def test_off_catalog_thing_is_declined_even_with_a_style(engine):
    answer = engine.ask(ChatSession(), "Do you sell a crossbow for Flame breathing?")
    assert answer.source == "idk"
