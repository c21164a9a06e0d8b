"""General questions (what a type is, how two types differ, care and use) answered from the
shop's own texts and data with citations, or declined; never from the model's imagination.

A question is general by its grammatical form ("what is a …", "difference between …", "how do I
…"), not by a list of topics. Care and use questions are matched (MiniLM) to the questions of the
shop's FAQs, with each product's name taken out; definitions and differences are built from the
catalog's own rows for the types asked about.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence

import numpy as np

_DEFINITION = re.compile(
    r"^\s*(?:what(?:'s| is| are)|tell me about)\s+(?:an?\s+|the\s+)?[\w\s-]{2,30}\??\s*$", re.I
)
_DIFFERENCE = re.compile(r"\b(?:difference|differences|differ)\b|\bvs\.?\b|\bversus\b", re.I)
_HOW_TO = re.compile(
    r"^\s*(?:how\s+(?:do|should|can|often|long|to)\b|how\s+(?:i|you|we)\b|what\s+should\s+i\s+"
    r"(?:do|use)\b|is\s+it\s+(?:safe|ok|okay)\b|can\s+i\s+(?:wash|clean|store|oil|sharpen|repair)\b"
    r"|why\s+(?:does|do|is|are)\b)",
    re.I,
)
_FAQ = re.compile(r"Q: (.+?) A: (.+?)(?=\s*Q: |$)", re.S)
# Below this cosine similarity, or closer than MARGIN to the next form, no FAQ answers the
# question and it is declined (chosen on hand-made care and off-topic questions, not the dev set).
FAQ_MATCH = 0.6
FAQ_MARGIN = 0.05


def types_named(question: str, product_types: Sequence[str]) -> list[str]:
    """Catalog types a question names (singular or plural), in catalog order."""
    lowered = question.lower()
    return [t for t in product_types if re.search(rf"\b{re.escape(t.lower())}(?:e?s)?\b", lowered)]


def general_kind(question: str, asked_types: Sequence[str]) -> str | None:
    """'difference', 'definition', 'how_to' or None (a product question)."""
    if _DIFFERENCE.search(question) and len(asked_types) >= 2:
        return "difference"
    if _DEFINITION.match(question) and asked_types:
        return "definition"
    if _HOW_TO.match(question):
        return "how_to"
    return None


class FaqBook:
    """The shop's FAQ answers by question form: 'How do I care for the {product}?' -> answers."""

    def __init__(self, rows: Sequence[dict], embed: Callable[[list[str]], np.ndarray]) -> None:
        self.embed = embed
        self.forms: dict[str, list[tuple[int, str, str]]] = {}  # form -> (id, type, answer)
        for row in rows:
            for question, answer in _FAQ.findall(row.get("text") or ""):
                form = question.replace(row["name"], "{product}").strip()
                self.forms.setdefault(form, []).append(
                    (int(row["product_id"]), row["product_type"], answer.strip())
                )
        self._names = list(self.forms)

    def best(self, question: str, product_types: Sequence[str]) -> tuple[float, tuple | None]:
        """(similarity, (product id, FAQ question form, answer)) of the closest FAQ form, for a
        product of one of the asked types when there are any."""
        if not self._names:
            return 0.0, None
        # The forms read with the asked type in the product's place ("How do I care for the
        # Katana?"), so they are compared with the question on its own terms.
        thing = product_types[0] if product_types else "weapon"
        vectors = self.embed([f.replace("{product}", thing) for f in self._names])
        scores = vectors @ self.embed([question])[0]
        order = np.argsort(-scores, kind="stable")
        best = float(scores[order[0]])
        runner_up = float(scores[order[1]]) if len(order) > 1 else -1.0
        if best - runner_up < FAQ_MARGIN:
            return best, None  # no single FAQ question is clearly the one asked
        form = self._names[order[0]]
        entries = [e for e in self.forms[form] if not product_types or e[1] in product_types]
        if not entries:
            return best, None
        product_id, _, answer = entries[0]
        return best, (product_id, form, answer)


def type_summary(product_type: str, products: Sequence[dict]) -> tuple[str, list[int]]:
    """What the catalog says of one type: how many, for which styles, weights and prices."""
    rows = [p for p in products if p["product_type"] == product_type]
    weights = [float(p["weight_kg"]) for p in rows]
    prices = [float(p["price"]) for p in rows]
    styles = sorted({p["breathing_style"] for p in rows})
    text = (
        f"{product_type}: {len(rows)} in our catalog, for {len(styles)} breathing styles, "
        f"{min(weights):.2f}-{max(weights):.2f} kg (median {statistics.median(weights):.2f} kg), "
        f"priced {min(prices):.2f}-{max(prices):.2f} (median {statistics.median(prices):.2f})"
    )
    examples = sorted(rows, key=lambda p: float(p["price"]))
    return text, [int(examples[len(examples) // 2]["product_id"])] if examples else []


def general_answer(
    kind: str,
    question: str,
    product_types: Sequence[str],
    products: Sequence[dict],
    faqs: FaqBook,
) -> tuple[str, list[int]] | None:
    """(answer text, cited product ids), or None when the shop's texts do not answer it."""
    if kind in ("definition", "difference"):
        lines, cited = [], []
        for product_type in product_types[:2]:
            text, ids = type_summary(product_type, products)
            lines.append(text)
            cited += ids
        head = (
            "From our catalog (the shop has no glossary entry for this):"
            if kind == "definition"
            else "How they differ in our catalog:"
        )
        return "\n".join([head, *[f"- {line}." for line in lines]]), cited
    similarity, found = faqs.best(question, product_types)
    if found is None or similarity < FAQ_MATCH:
        return None
    product_id, form, answer = found
    name = next(p["name"] for p in products if int(p["product_id"]) == product_id)
    return f"From our FAQ for the {name} ({form.replace('{product}', name)}): {answer}", [
        product_id
    ]
