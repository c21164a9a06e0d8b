"""Which products answer a question: named ones, the filtered set's extreme, a follow-up's pick
from the previous result set, or the best hybrid-search matches; and the data-built main
sentence that states the answer.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from hashira_assets.assistant import grounding as g
from hashira_assets.index.search import ProductSearch, SearchFilters

_SUPERLATIVE_WORDS = {
    ("weight", "min"): "lightest",
    ("weight", "max"): "heaviest",
    ("price", "min"): "cheapest",
    ("price", "max"): "most expensive",
    ("sharpness", "max"): "sharpest",
    ("sharpness", "min"): "least sharp",
}
_COMPARATIVE_WORDS = {
    ("weight", "less"): "lighter",
    ("weight", "more"): "heavier",
    ("price", "less"): "cheaper",
    ("price", "more"): "more expensive",
    ("sharpness", "more"): "sharper",
    ("sharpness", "less"): "less sharp",
}
_THAN = re.compile(r"\bthan\b", re.IGNORECASE)
_SET_WORDS = re.compile(r"\b(those|these|them|they|of those|one of them)\b", re.IGNORECASE)


@dataclasses.dataclass
class Selection:
    """The products of one answer, main first, and how they were chosen."""

    products: list[dict]
    filters: SearchFilters | None  # the result set's filters; None for named products
    lead: str  # the data-built main sentence
    pair: tuple[dict, dict] | None = None  # "is it lighter than the other one?"


def merge_filters(base: SearchFilters | None, new: SearchFilters) -> SearchFilters:
    """`base` narrowed by every constraint `new` sets (a follow-up's own constraints win)."""
    if base is None:
        return new
    changes = {
        f.name: getattr(new, f.name)
        for f in dataclasses.fields(new)
        if getattr(new, f.name) is not None
    }
    if "product_type" in changes:
        changes["product_types"] = None
    return dataclasses.replace(base, **changes)


def _value(p: dict, attribute: str) -> str:
    if attribute == "weight":
        return f"{p['weight_kg']:.2f} kg"
    if attribute == "sharpness":
        return f"sharpness {p['sharpness']}"
    return f"{p['price']:.2f}"


def _stock_clause(p: dict) -> str:
    return "in stock" if p["stock"] > 0 else "out of stock"


def fact_sentence(p: dict, attribute: str | None) -> str:
    """One sentence that names `p` first and states the asked attribute."""
    return {
        "price": f"The {p['name']} costs {p['price']:.2f}.",
        "weight": f"The {p['name']} weighs {p['weight_kg']:.2f} kg.",
        "style": f"The {p['name']} is made for {p['breathing_style']} Breathing.",
        "sharpness": f"The {p['name']} has a sharpness rating of {p['sharpness']}.",
        "stock": f"The {p['name']} is {_stock_clause(p)}.",
    }.get(
        attribute or "",
        f"The {p['name']} is a {p['rarity']} {p['product_type']} for "
        f"{p['breathing_style']} Breathing at {p['price']:.2f}, {_stock_clause(p)}.",
    )


def _superlative_lead(
    p: dict, superlative: tuple[str, str], attribute: str | None, filters: SearchFilters
) -> str:
    word = _SUPERLATIVE_WORDS[superlative]
    what = filters.product_type or (
        "one of those" if filters.product_types else filters.department or "product"
    )
    sentence = f"The {p['name']} is our {word} {what} ({_value(p, superlative[0])})"
    if attribute == "stock":
        return sentence + f", and it is {_stock_clause(p)}."
    return sentence + f", {_stock_clause(p)}."


def _rows(search: ProductSearch, filters: SearchFilters) -> list[dict]:
    return search.extremes("product_id", False, 100_000, filters)


def select(
    search: ProductSearch,
    question: str,
    intent: g.QuestionIntent,
    focus_ids: Sequence[int],
    previous_filters: SearchFilters | None,
    previous_ids: Sequence[int],
    k: int,
) -> Selection:
    """The products answering `question`, given what the conversation was about."""
    if intent.named_ids:
        named = search.get(list(intent.named_ids))
        if intent.comparison and len(named) >= 2:
            return Selection(named[:2], None, "", pair=(named[0], named[1]))
        others = [h.row for h in search.hybrid(question, k) if h.product_id not in intent.named_ids]
        products = (named + others)[: max(k, len(named))]
        return Selection(products, None, fact_sentence(products[0], intent.attribute))
    if intent.follow_up and focus_ids:
        return _follow_up(search, question, intent, focus_ids, previous_filters, previous_ids, k)
    return _fresh(search, question, intent, intent.filters, k)


def _fresh(
    search: ProductSearch, question: str, intent: g.QuestionIntent, filters: SearchFilters, k: int
) -> Selection:
    if intent.superlative:
        attribute, end = intent.superlative
        products = search.extremes(g.SORT_COLUMNS[attribute], end == "max", k, filters)
        if not products:
            return Selection([], filters, "")
        lead = _superlative_lead(products[0], intent.superlative, intent.attribute, filters)
        return Selection(products, filters, lead)
    # A recommendation is something the shopper can buy now, unless nothing in stock fits.
    chosen = filters
    products: list[dict] = []
    if filters.in_stock is None:
        chosen = dataclasses.replace(filters, in_stock=True)
        products = [h.row for h in search.hybrid(question, k, chosen)]
    if not products:
        chosen = filters
        products = [h.row for h in search.hybrid(question, k, filters)]
    lead = fact_sentence(products[0], intent.attribute) if products else ""
    # The result set is what the question asked for; the in-stock preference only ranks it.
    return Selection(products, filters, lead)


def _follow_up(
    search: ProductSearch,
    question: str,
    intent: g.QuestionIntent,
    focus_ids: Sequence[int],
    previous_filters: SearchFilters | None,
    previous_ids: Sequence[int],
    k: int,
) -> Selection:
    filters = merge_filters(previous_filters, intent.filters)
    current = search.get([focus_ids[-1]])
    if intent.comparison and _THAN.search(question) and len(focus_ids) >= 2:
        pair = search.get([focus_ids[-1], focus_ids[-2]])
        if len(pair) == 2:
            return Selection(pair, previous_filters, "", pair=(pair[0], pair[1]))
    if intent.superlative:
        return _fresh(search, question, intent, filters, k)
    if intent.comparison and current:
        # "a cheaper one": from the same set, the nearest product on the asked side.
        attribute, direction = intent.comparison
        column = g.SORT_COLUMNS[attribute]
        mine = float(current[0][column])
        if filters.in_stock is None:
            filters = dataclasses.replace(filters, in_stock=True)
        rows = [
            r
            for r in _rows(search, filters)
            if (float(r[column]) < mine if direction == "less" else float(r[column]) > mine)
        ]
        rows.sort(key=lambda r: (abs(float(r[column]) - mine), r["product_id"]))
        word = _COMPARATIVE_WORDS[intent.comparison]
        if not rows:
            # Nothing on the asked side: say so of the product compared with, not "I don't know".
            lead = (
                f"Nothing {word} than the {current[0]['name']} "
                f"({_value(current[0], attribute)}) is in stock under the same conditions."
            )
            return Selection([current[0]], filters, lead)
        lead = (
            f"The {rows[0]['name']} is {word} ({_value(rows[0], attribute)}) than the "
            f"{current[0]['name']} ({_value(current[0], attribute)})."
        )
        # The product compared with is cited too: the answer states its facts.
        return Selection([*rows[: k - 1], current[0]], filters, lead)
    if _SET_WORDS.search(question) and previous_ids and intent.attribute is None:
        products = search.get(list(previous_ids))
        return Selection(products, previous_filters, fact_sentence(products[0], None))
    products = search.get(list(reversed(focus_ids[-2:])))
    return Selection(products, previous_filters, fact_sentence(products[0], intent.attribute))
