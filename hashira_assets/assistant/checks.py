"""Checks on an answer's text: its main product and sentence, repetition, and the model's claims.

The chat keeps the language model's own words only when they pass every check here; the graders
use the same reading of an answer (main product = first catalog product its first sentence names).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from hashira_assets.assistant import facts
from hashira_assets.assistant import grounding as g

# "The X ..." or "Yes, the X ...": the product opens the answer, not a preamble.
_MAX_NAME_OFFSET = 12
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")


def first_sentence(text: str) -> str:
    """The answer's main sentence: everything up to the first sentence end or line break."""
    parts = _SENTENCE_END.split(text.strip(), maxsplit=1)
    return parts[0] if parts else ""


def named_products(text: str, products: Iterable[dict]) -> list[dict]:
    """Catalog products named in `text`, in order; at one position the longest name wins, so
    "X Mk 2" is not read as "X"."""
    lowered = text.lower()
    hits: list[tuple[int, int, dict]] = []
    for p in products:
        name = p["name"].lower()
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", lowered):
            hits.append((m.start(), -len(name), p))
    hits.sort(key=lambda h: (h[0], h[1]))
    out: list[dict] = []
    covered_until = -1
    for start, neg_len, p in hits:
        if start < covered_until:
            continue
        out.append(p)
        covered_until = start - neg_len
    return out


def degenerate(text: str, times: int = 3) -> bool:
    """Whether some sentence or clause (of 3+ words) is repeated `times` times or more."""
    # List lines of a data answer ("- name (id 3): ...") repeat their pattern by design.
    prose = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("- "))
    pieces = [p.strip().lower() for p in re.split(r"[.!?:;\n]+", prose)]
    counts: dict[str, int] = {}
    for piece in pieces:
        if len(piece.split()) >= 3:
            counts[piece] = counts.get(piece, 0) + 1
    if any(c >= times for c in counts.values()):
        return True
    # A phrase looping inside one line ("of the above: of the above: ..."); list lines of a
    # data answer share phrases across lines, which is not a loop.
    for line in text.lower().splitlines():
        words = [w.strip(",;:!?.()\"'") for w in line.split()]
        words = [w for w in words if w]
        for n in (1, 2):  # a word or pair said three times in a row
            for i in range(len(words) - 3 * n + 1):
                if words[i : i + n] == words[i + n : i + 2 * n] == words[i + 2 * n : i + 3 * n]:
                    return True
        for n in (3, 4, 5):
            gram_counts: dict[str, int] = {}
            for i in range(len(words) - n + 1):
                gram = " ".join(words[i : i + n])
                gram_counts[gram] = gram_counts.get(gram, 0) + 1
            if any(c >= times for c in gram_counts.values()):
                return True
    return False


def model_text_failures(
    text: str,
    main: dict,
    products: Sequence[dict],
    catalog_names: dict[str, int],
    styles: Sequence[str],
    attribute: str | None,
    allowed_numbers: Sequence[float] = (),
) -> list[str]:
    """Why the model's answer cannot be shown (empty: it can).

    The main sentence must name `main` first and state the asked `attribute` of it; every fact
    must be the catalog's; every product it names must be one of `products` (those chosen under
    the question's constraints); no phrase may loop."""
    failures = []
    if not text.strip():
        return ["empty"]
    if g.IDK_TEXT.lower() in text.lower():
        failures.append("says it does not know although the data answers")
    lead = first_sentence(text)
    named = named_products(lead, products)
    if not named or named[0]["product_id"] != main["product_id"]:
        failures.append("main sentence does not name the chosen product first")
    elif lead.lower().find(main["name"].lower()) > _MAX_NAME_OFFSET:
        failures.append("main sentence does not open with the product")
    if attribute is not None and not facts.states_fact(lead, main, attribute):
        failures.append(f"main sentence does not state the {attribute}")
    check = facts.check_facts(text, products, styles, allowed_numbers)
    failures += list(check.errors)
    chosen = {int(p["product_id"]) for p in products}
    lowered = text.lower()
    # A shorter name inside a chosen one ("X" in "X Mk 2") is not another product.
    chosen_names = [p["name"].lower() for p in products]
    for name, pid in catalog_names.items():
        if (
            pid not in chosen
            and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", lowered)
            and not any(name in c for c in chosen_names)
        ):
            failures.append(f"names {name!r}, which does not meet the question's constraints")
    if degenerate(text):
        failures.append("repeats itself")
    return failures
