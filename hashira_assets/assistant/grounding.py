"""Grounding: what a shopper's question asks of the catalog (filters, the asked attribute,
product names, follow-ups). Whether an answer's facts are true is `facts.py`."""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from hashira_assets.assistant.facts import number
from hashira_assets.assistant.metrics import tokens
from hashira_assets.index.search import SearchFilters

if TYPE_CHECKING:
    from hashira_assets.assistant.understanding import TypeMatcher, Understanding

IDK_TEXT = "I don't know"
ATTRIBUTES = ("price", "weight", "style", "sharpness", "stock")
_ATTRIBUTE_WORDS = {
    "price": ("price", "cost", "how much", "expensive", "cheap", "pay", "afford", "set me back"),
    "weight": ("weigh", "heavy", "heavier", "light", "lighter", "weight", "mass", "kg"),
    "style": ("breathing", "style", "made for", "suited", "suit", "meant for", "school"),
    "sharpness": ("sharp", "sharpness", "edge"),
    "stock": ("in stock", "available", "availability", "sold out", "out of stock"),
}
# "Which katana is the lightest?" is answered by the extreme of the filtered catalog, not by
# whatever retrieval happened to rank first.
_SUPERLATIVES = {
    "lightest": ("weight", "min"),
    "heaviest": ("weight", "max"),
    "cheapest": ("price", "min"),
    "least expensive": ("price", "min"),
    "most expensive": ("price", "max"),
    "priciest": ("price", "max"),
    "sharpest": ("sharpness", "max"),
}
# The index column each orderable attribute sorts by.
SORT_COLUMNS = {"weight": "weight_kg", "price": "price", "sharpness": "sharpness"}
_COMPARATIVES = {
    "lighter": ("weight", "less"),
    "heavier": ("weight", "more"),
    "cheaper": ("price", "less"),
    "pricier": ("price", "more"),
    "more expensive": ("price", "more"),
    "less expensive": ("price", "less"),
    "sharper": ("sharpness", "more"),
}
_FOLLOW_UP = re.compile(
    r"\b(it|its|it's|that one|this one|the other( one)?|the first( one)?|the second( one)?|them|"
    r"they|both|those|these|of those|one of them)\b",
    re.IGNORECASE,
)
_MAX_PRICE = re.compile(
    r"\b(?:under|below|less than|cheaper than|at most|up to|max(?:imum)?|within)\s+"
    r"(?:a\s+budget\s+of\s+)?[$¥]?\s*(\d[\d,]*(?:\.\d+)?)",
    re.IGNORECASE,
)
_MIN_PRICE = re.compile(
    r"\b(?:over|above|more than|at least|min(?:imum)?)\s+[$¥]?\s*(\d[\d,]*(?:\.\d+)?)",
    re.IGNORECASE,
)
_BETWEEN = re.compile(
    r"\bbetween\s+[$¥]?\s*(\d[\d,]*(?:\.\d+)?)\s+and\s+[$¥]?\s*(\d[\d,]*(?:\.\d+)?)", re.IGNORECASE
)

# Words shoppers use in questions that are not product terms. A question whose content words are
# all in the catalog's own vocabulary or here is "about the catalog"; a question naming something
# outside both (a "laser rifle") gets "I don't know" instead of an invented answer.
_QUESTION_WORDS_TEXT = """
    a an the and or but if of to in on at for from with without by about as into than then so
    is are was were be been being do does did have has had can could would should will shall may
    might must i me my mine we us our you your yours it its it's this that these those there here
    what which who whom whose when where why how much many any some all each every other another
    one ones two three first second last more most less least very too also just only not no yes
    please tell show give find recommend suggest need want looking look like get buy sell sold
    have got carry offer stock price prices priced cost costs costing pay paying afford budget
    cheap cheaper cheapest expensive pricey pricier affordable money ryo yen dollars kg kilos
    kilograms weigh weighs weight weights heavy heavier heaviest light lighter lightest sharp
    sharper sharpest sharpness rating edge good best better great nice strong fine top ideal
    suit suits suited suitable fit fits made meant designed built tuned use used using user users
    beginner beginners novice expert master experienced new old train training practice fight
    fighting battle battles mission missions slayer slayers demon demons hashira corps breathing
    style styles form school technique available availability item items product products thing
    things option options choice choices kind type types model something anything weapon weapons
    accessory accessories gear equipment shop store catalog catalogue set me back know tell
    under below over above between least most within up max maximum min minimum around about
    approximately roughly exactly currently right now today still ever either neither both same
    different compare compared versus vs difference similar instead rather lot lots bit little
    big small long short size sizes length which whats what's hows how's does doesn't don't
    isn't aren't i'm i've i'd you're it'll id name named called rarity rare common epic legendary
    description details detail info information facts spec specs specification specifications
    answer question questions hi hello hey thanks thank okay ok well so quite really whether
    own owned owning has hold holds holding carry carries season seasonal gift doesn isn aren don
    didn wasn won couldn shouldn wouldn haven hasn let
"""
QUESTION_WORDS = frozenset(_QUESTION_WORDS_TEXT.split())
_FUZZY_CUTOFF = 0.85


@dataclasses.dataclass(frozen=True)
class CatalogVocabulary:
    """What the catalog contains: names, types, styles and every word of its texts."""

    names: dict[str, int]  # lower-cased product name -> id
    product_types: tuple[str, ...]
    styles: tuple[str, ...]
    words: frozenset[str]

    @classmethod
    def from_rows(cls, rows: Iterable[dict]) -> CatalogVocabulary:
        rows = list(rows)
        words: set[str] = set()
        for r in rows:
            words.update(tokens(r.get("text", "")))
            words.update(tokens(r["name"]))
        return cls(
            names={r["name"].lower(): int(r["product_id"]) for r in rows},
            product_types=tuple(sorted({r["product_type"] for r in rows}, key=len, reverse=True)),
            styles=tuple(sorted({r["breathing_style"] for r in rows})),
            words=frozenset(words),
        )

    def is_known(self, word: str) -> bool:
        if word in self.words or word in QUESTION_WORDS or word.isdigit():
            return True
        # Plurals and small typos of catalog words are still the catalog.
        if word.endswith("s") and (word[:-1] in self.words or word[:-1] in QUESTION_WORDS):
            return True
        # ... and so are misspelt question words ("wat", "whcih").
        return bool(
            difflib.get_close_matches(word, self.words, n=1, cutoff=_FUZZY_CUTOFF)
            or difflib.get_close_matches(word, QUESTION_WORDS, n=1, cutoff=_FUZZY_CUTOFF)
        )


@dataclasses.dataclass(frozen=True)
class QuestionIntent:
    """What a shopper's question asks for."""

    filters: SearchFilters
    attribute: str | None  # one of ATTRIBUTES
    comparison: tuple[str, str] | None  # (attribute, "less" | "more")
    named_ids: tuple[int, ...]  # products named in the question, in order of appearance
    follow_up: bool
    unknown_words: tuple[str, ...]
    superlative: tuple[str, str] | None = None  # (attribute, "min" | "max")
    terms: Understanding | None = None  # types, department, rarity and need words


def parse_question(
    question: str, vocab: CatalogVocabulary, matcher: TypeMatcher | None = None
) -> QuestionIntent:
    """What the question asks; with a `matcher`, needs are mapped to catalog types too."""
    from hashira_assets.assistant.understanding import STYLE_ASKED, named_in, style_in, understand

    lowered = question.lower()
    named = named_in(question, vocab.names)
    named_ids = tuple(dict.fromkeys(pid for _, pid, _ in named))
    # Attributes inside named products ("Steel Thunder Kunai Set") are not filters.
    residual = re.sub(r"\b(?:mk|mark)\s*\.?\s*(\d+)\b", r"mk \1", lowered)
    for _, _, name in named:
        residual = residual.replace(name, " ")
    terms = understand(residual, vocab, matcher)
    product_types = terms.product_types
    style = style_in(question, residual, vocab)
    min_price = max_price = None
    if m := _BETWEEN.search(residual):
        min_price, max_price = sorted((number(m.group(1)), number(m.group(2))))
    else:
        if m := _MAX_PRICE.search(residual):
            max_price = number(m.group(1))
        if m := _MIN_PRICE.search(residual):
            min_price = number(m.group(1))
    in_stock = (
        True
        if not terms.asks_stock and re.search(r"\bin stock\b|\bavailable now\b", residual)
        else None
    )
    superlative = next(
        (v for k, v in _SUPERLATIVES.items() if re.search(rf"\b{k}\b", residual)), None
    )
    comparison = next((v for k, v in _COMPARATIVES.items() if k in lowered), None)
    if terms.wants_cheap and superlative is None and comparison is None and not named_ids:
        # "a cheap one", "for a beginner": the most affordable match that can be bought now.
        superlative, in_stock = ("price", "min"), True
    filters = SearchFilters(
        min_price=min_price,
        max_price=max_price,
        product_type=product_types[0] if len(product_types) == 1 else None,
        product_types=product_types if len(product_types) > 1 else None,
        breathing_style=style,
        department=terms.department,
        in_stock=in_stock,
        rarity=terms.rarity,
    )
    attribute = comparison[0] if comparison else superlative[0] if superlative else None
    if attribute is None and style is None and STYLE_ASKED.search(residual):
        attribute = "style"
    if terms.asks_stock:
        attribute = "stock"
    if attribute is None:
        # A type's own name ("Training Weights") does not ask for an attribute.
        said = residual
        for t in vocab.product_types:
            said = re.sub(rf"\b{re.escape(t.lower())}\b", " ", said)
        if terms.product_types and terms.type_similarity < 1.0 and not named_ids:
            # The need words chose the type ("to sharpen my nodachi" -> Whetstone): they say
            # what the thing is for, not which of its facts is asked.
            for w in terms.need_text.split():
                said = re.sub(rf"\b{re.escape(w)}\b", " ", said)
        for name, words in _ATTRIBUTE_WORDS.items():
            if any(re.search(rf"\b{re.escape(w)}", said) for w in words):
                attribute = name
                break
    if attribute == "style" and style is not None:
        attribute = None  # "for Love breathing" is a constraint, not the asked fact
    refers = bool(_FOLLOW_UP.search(residual)) or (
        (comparison is not None or superlative is not None) and not terms.need_text
    )
    follow_up = not named_ids and not product_types and refers
    unknown = tuple(
        w for w in tokens(residual) if len(w) > 2 and not w.isdigit() and not vocab.is_known(w)
    )
    return QuestionIntent(
        filters, attribute, comparison, named_ids, follow_up, unknown, superlative, terms
    )
