"""Fact checking: which facts an answer states, whether the catalog agrees, and answers built from
the data itself.

SmolLM2-135M paraphrases numbers badly, so the chat engine never trusts it with facts: every price,
weight, sharpness and breathing style an answer states is checked against the retrieved products,
and a wrong or useless answer is replaced by a structured answer built from the data.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence


def number(text: str) -> float:
    """A number as written in text ("1,250.50")."""
    return float(text.replace(",", ""))


_WEIGHT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:kg|kilo(?:gram)?s?)\b", re.IGNORECASE)
_PRICE = re.compile(
    r"(?:price[ds]?|costs?|pay|for|at|is|of|[$¥]|ryo)\s*(?:is\s*|of\s*|at\s*)?[$¥]?\s*"
    r"(\d[\d,]*\.\d{2}|\d[\d,]*)(?!\s*(?:kg|kilo|%|out of|/))",
    re.IGNORECASE,
)
_SHARPNESS = re.compile(r"sharpness(?: rating)?(?: of| is)?\s*(\d+)", re.IGNORECASE)
NUMBER = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)(?![\w])")


@dataclasses.dataclass(frozen=True)
class FactCheck:
    """The facts an answer states and which of them the catalog contradicts."""

    stated: tuple[str, ...]
    errors: tuple[str, ...]
    mentioned_ids: tuple[int, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def mentioned_products(text: str, products: Sequence[dict]) -> list[dict]:
    lowered = text.lower()
    hits = [(lowered.find(p["name"].lower()), p) for p in products if p["name"].lower() in lowered]
    return [p for _, p in sorted(hits, key=lambda h: h[0])]


def _close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol


def check_facts(
    answer: str, products: Sequence[dict], styles: Sequence[str], allowed_numbers: Iterable[float]
) -> FactCheck:
    """Check every price, weight, sharpness, style and bare number the answer states.

    When the answer names exactly one product, its facts must be that product's; otherwise each
    fact must belong to one of `products`. Bare numbers must be a known fact of a product or
    appear in `allowed_numbers` (e.g. numbers from the question)."""
    named = mentioned_products(answer, products)
    pool = named if len(named) == 1 else list(products)
    stated: list[str] = []
    errors: list[str] = []
    text_wo_names = answer
    for p in products:
        text_wo_names = re.sub(re.escape(p["name"]), " ", text_wo_names, flags=re.IGNORECASE)
    for m in _WEIGHT.finditer(text_wo_names):
        value = float(m.group(1))
        stated.append(f"weight {value} kg")
        if not any(_close(value, p["weight_kg"], 0.011) for p in pool):
            errors.append(f"weight {value} kg is not in the catalog data")
    weight_spans = [m.span(1) for m in _WEIGHT.finditer(text_wo_names)]
    sharp_spans = [m.span(1) for m in _SHARPNESS.finditer(text_wo_names)]
    for m in _SHARPNESS.finditer(text_wo_names):
        value = float(m.group(1))
        stated.append(f"sharpness {value:g}")
        if not any(_close(value, p["sharpness"], 0.5) for p in pool):
            errors.append(f"sharpness {value:g} is not in the catalog data")
    price_spans = []
    for m in _PRICE.finditer(text_wo_names):
        if m.span(1) in weight_spans or m.span(1) in sharp_spans:
            continue
        value = number(m.group(1))
        price_spans.append(m.span(1))
        stated.append(f"price {value:.2f}")
        if not any(_close(value, p["price"], 0.011) for p in pool):
            errors.append(f"price {value:.2f} is not in the catalog data")
    known = {round(float(x), 2) for x in allowed_numbers}
    for p in products:
        known |= {
            round(float(p["price"]), 2),
            round(float(p["weight_kg"]), 2),
            float(p["sharpness"]),
            float(p["stock"]),
            float(p["product_id"]),  # "(id 91)" labels in data answers
            100.0,  # "sharpness 76 out of 100"
        }
    for m in NUMBER.finditer(text_wo_names):
        if m.span(1) in weight_spans + sharp_spans + price_spans:
            continue
        value = round(number(m.group(1)), 2)
        if value not in known and not (value.is_integer() and value <= 10):
            # Small counts ("3 drills", "2 products") are not catalog facts.
            errors.append(f"number {m.group(1)} is not in the catalog data")
    for style in styles:
        if re.search(rf"\b{style}\b", text_wo_names):
            stated.append(f"style {style}")
            if not any(p["breathing_style"] == style for p in pool):
                errors.append(f"{style} Breathing does not match the products")
    return FactCheck(tuple(stated), tuple(errors), tuple(int(p["product_id"]) for p in named))


def states_fact(answer: str, product: dict, attribute: str) -> bool:
    """Whether the answer states the product's `attribute` correctly."""
    if attribute == "price":
        values = [number(m.group(1)) for m in NUMBER.finditer(answer)]
        return any(_close(v, product["price"], 0.011) for v in values)
    if attribute == "weight":
        return any(
            _close(float(m.group(1)), product["weight_kg"], 0.011) for m in _WEIGHT.finditer(answer)
        )
    if attribute == "style":
        return product["breathing_style"].lower() in answer.lower()
    if attribute == "sharpness":
        return any(
            _close(float(m.group(1)), product["sharpness"], 0.5) for m in NUMBER.finditer(answer)
        )
    if attribute == "stock":
        stock_word = "in stock" if product["stock"] > 0 else "out of stock"
        return stock_word in answer.lower()
    return True


# --------------------------------------------------------------------------- data answers


def product_facts(p: dict) -> str:
    stock = f"in stock ({p['stock']})" if p["stock"] > 0 else "out of stock"
    sharp = f", sharpness {p['sharpness']}" if p["department"] == "weapon" else ""
    return (
        f"{p['name']} (id {p['product_id']}): {p['rarity']} {p['product_type']} for "
        f"{p['breathing_style']} Breathing, {p['weight_kg']:.2f} kg{sharp}, price "
        f"{p['price']:.2f}, {stock}"
    )


def data_answer(products: Sequence[dict], attribute: str | None) -> str:
    """A structured answer stating the products' facts straight from the catalog."""
    if not products:
        return "I don't know: no product in the catalog matches that."
    first = products[0]
    lead = {
        "price": f"The {first['name']} costs {first['price']:.2f}.",
        "weight": f"The {first['name']} weighs {first['weight_kg']:.2f} kg.",
        "style": f"The {first['name']} is made for {first['breathing_style']} Breathing.",
        "sharpness": f"The {first['name']} has a sharpness rating of {first['sharpness']}.",
        "stock": f"The {first['name']} is "
        + ("in stock." if first["stock"] > 0 else "out of stock."),
    }.get(attribute or "", f"The best match is the {first['name']}.")
    lines = [lead, "From the catalog:"] + [f"- {product_facts(p)}" for p in products]
    return "\n".join(lines)


def comparison_answer(first: dict, second: dict, comparison: tuple[str, str]) -> str:
    """Answer "is it lighter/cheaper than the other one?" from the data (first = "it")."""
    attribute, direction = comparison
    column = {"weight": "weight_kg", "price": "price", "sharpness": "sharpness"}[attribute]
    a, b = float(first[column]), float(second[column])
    word = {
        ("weight", "less"): "lighter",
        ("weight", "more"): "heavier",
        ("price", "less"): "cheaper",
        ("price", "more"): "more expensive",
        ("sharpness", "more"): "sharper",
        ("sharpness", "less"): "less sharp",
    }[comparison]
    holds = a < b if direction == "less" else a > b
    unit = {"weight": " kg", "price": "", "sharpness": ""}[attribute]
    fmt = "{:.2f}" if attribute != "sharpness" else "{:.0f}"
    verdict = "Yes" if holds else ("No, they are the same" if a == b else "No")
    return (
        f"{verdict}: the {first['name']} ({fmt.format(a)}{unit}) is "
        f"{'' if holds else 'not '}{word} than the {second['name']} ({fmt.format(b)}{unit})."
    )
