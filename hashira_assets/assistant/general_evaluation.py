"""The general-question benchmark: definitions, differences and care questions answered from the
shop's own texts, and questions about things the shop does not sell declined.

Each answer is graded against the raw catalog and FAQ tables directly, not through the code that
wrote the answer: a definition must state the type's true product count and price range, a
difference both types' counts, a care answer the cited product's own FAQ answer.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from hashira_assets.index.documents import read_table

DEFINITION_FORMS = ("what is a {t}?", "tell me about {t}s", "what's a {t}")
DIFFERENCE_FORMS = ("what's the difference between a {a} and a {b}?", "{a} vs {b}")
CARE_FORMS = ("how do I care for my {t}?", "how should I look after a {t}?")
# Things and topics a weapon shop has no text about: each must be declined, not answered.
OFF_SHOP_QUESTIONS = (
    "what is a crossbow?",
    "what is a musket?",
    "tell me about samurai armour",
    "how do I bake bread?",
    "how do I change a bicycle tyre?",
    "what's the difference between a pistol and a rifle?",
    "why is the sky blue?",
    "how should I file my taxes?",
    "what is quantum computing?",
    "how do I train a puppy?",
)


def _price_range(rows: list[dict]) -> tuple[str, str]:
    prices = [float(r["price"]) for r in rows]
    return f"{min(prices):.2f}", f"{max(prices):.2f}"


def _states_type(text: str, product_type: str, rows: list[dict]) -> bool:
    """The text states the type's true product count and price range."""
    low, high = _price_range(rows)
    return f"{product_type}: {len(rows)} in our catalog" in text and f"{low}-{high}" in text


def _care_answers(raw_dir: Path) -> dict[int, str]:
    faqs = read_table(raw_dir, "product_faqs").to_pylist()
    return {
        int(f["product_id"]): f["answer"]
        for f in faqs
        if f["question"].lower().startswith("how do i care")
    }


def evaluate_general(
    ask: Callable[[str], object],
    products: list[dict],
    raw_dir: Path,
    seed: int,
    n_pairs: int = 10,
    log: Callable[[str], None] = lambda _m: None,
) -> dict:
    """Share of general questions answered right (by kind) and of off-shop ones declined."""
    rng = random.Random(seed)
    by_type: dict[str, list[dict]] = {}
    for p in products:
        by_type.setdefault(p["product_type"], []).append(p)
    types = sorted(by_type)
    type_of = {int(p["product_id"]): p["product_type"] for p in products}
    care = _care_answers(raw_dir)
    graded: dict[str, list[bool]] = {"definition": [], "difference": [], "care": [], "off": []}
    answers = []

    def grade(kind: str, question: str, ok: Callable[[object], bool]) -> None:
        answer = ask(question)
        passed = bool(ok(answer))
        graded[kind].append(passed)
        answers.append({"kind": kind, "question": question, "pass": passed, "text": answer.text})
        log(f"general {kind}: {'ok' if passed else 'FAIL'} {question}")

    for t in types:
        form = rng.choice(DEFINITION_FORMS)
        grade(
            "definition",
            form.format(t=t.lower()),
            lambda a, t=t: (
                a.source == "data"
                and all(type_of.get(i) == t for i in a.cited_ids)
                and _states_type(a.text, t, by_type[t])
            ),
        )
        form = rng.choice(CARE_FORMS)
        grade(
            "care",
            form.format(t=t.lower()),
            lambda a, t=t: (
                a.source == "data"
                and len(a.cited_ids) == 1
                and type_of.get(a.cited_ids[0]) == t
                and care.get(a.cited_ids[0], "\0") in a.text
            ),
        )
    for _ in range(n_pairs):
        a_type, b_type = rng.sample(types, 2)
        form = rng.choice(DIFFERENCE_FORMS)
        grade(
            "difference",
            form.format(a=a_type.lower(), b=b_type.lower()),
            lambda a, x=a_type, y=b_type: (
                a.source == "data"
                and {type_of.get(i) for i in a.cited_ids} == {x, y}
                and _states_type(a.text, x, by_type[x])
                and _states_type(a.text, y, by_type[y])
            ),
        )
    for question in OFF_SHOP_QUESTIONS:
        grade("off", question, lambda a: a.source == "idk")
    out = {f"{k}_questions": len(v) for k, v in graded.items()}
    out |= {f"{k}_pass_share": sum(v) / max(len(v), 1) for k, v in graded.items()}
    answered = graded["definition"] + graded["difference"] + graded["care"]
    out["answerable_pass_share"] = sum(answered) / max(len(answered), 1)
    out["answers"] = answers
    return out
