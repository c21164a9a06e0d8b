"""Grading chat answers against properties a right answer must have in the loaded catalog.

A question set (such as the hand-written shopper questions) states what a right answer satisfies
("the main product is a Whetstone", "the cheapest in-stock Whetstone", "every cited product is a
legendary Katana") instead of naming products, so one set grades every world. The answer's main
product is the first catalog product named in its first sentence: a product merely listed further
down earns nothing.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hashira_assets.assistant import facts
from hashira_assets.assistant.checks import degenerate, first_sentence, named_products

# Filter keys a property may use, and the product column each one reads.
_FILTER_KEYS = ("product_type", "breathing_style", "department", "rarity", "in_stock")


def load_question_set(path: Path) -> dict:
    """The question set: {"single": [spec, ...], "conversations": [[spec, ...], ...]}."""
    data = json.loads(Path(path).read_text())
    if not isinstance(data.get("single"), list) or not isinstance(data.get("conversations"), list):
        raise ValueError(f"{path}: expected 'single' and 'conversations' lists")
    return data


def matches(product: dict, filters: dict) -> bool:
    """Whether a product satisfies property filters such as {"product_type": "Katana"}."""
    for key, want in filters.items():
        if key not in _FILTER_KEYS:
            continue
        if key == "in_stock":
            if (product["stock"] > 0) != bool(want):
                return False
        elif product[key] != want:
            return False
    return True


def _extreme_ok(main: dict, spec: dict, catalog: Sequence[dict]) -> bool:
    ((kind, args),) = spec.items()
    attr = "price" if kind == "cheapest_of" else args.get("attr", "price")
    pool = [p for p in catalog if matches(p, args)]
    if not pool or not matches(main, args):
        return False
    values = [float(p[attr]) for p in pool]
    target = min(values) if kind in ("min_of", "cheapest_of") else max(values)
    return abs(float(main[attr]) - target) < 1e-9


@dataclasses.dataclass
class TurnGrade:
    """One graded answer: which properties held."""

    question: str
    answer: str
    source: str
    main_id: int | None
    cited_ids: list[int]
    checks: dict[str, bool]

    @property
    def passed(self) -> bool:
        return all(self.checks.values())


def grade_answer(
    spec: dict,
    text: str,
    cited_ids: Sequence[int],
    source: str,
    catalog: Sequence[dict],
    previous_main: dict | None = None,
) -> TurnGrade:
    """Check one answer against its spec's properties and the rules every answer keeps."""
    by_id = {int(p["product_id"]): p for p in catalog}
    cited = [by_id[int(c)] for c in cited_ids if int(c) in by_id]
    lead = first_sentence(text)
    named = named_products(lead, catalog)
    main = named[0] if named else None
    is_idk = source == "idk" or text.startswith("I don't know")
    checks: dict[str, bool] = {}
    if spec.get("idk"):
        checks["idk"] = is_idk
    else:
        checks["answers"] = not is_idk and main is not None
    if main is not None and not is_idk:
        checks["main_is_cited"] = int(main["product_id"]) in {int(c) for c in cited_ids}
    m = main or {}
    if "main_type_in" in spec:
        checks["main_type_in"] = m.get("product_type") in spec["main_type_in"]
    if "main_style" in spec:
        checks["main_style"] = m.get("breathing_style") == spec["main_style"]
    if "main_department" in spec:
        checks["main_department"] = m.get("department") == spec["main_department"]
    if "main_max_price" in spec:
        checks["main_max_price"] = main is not None and m["price"] <= spec["main_max_price"]
    if "main_in_stock" in spec:
        checks["main_in_stock"] = main is not None and (m["stock"] > 0) == spec["main_in_stock"]
    if "main_is" in spec:
        checks["main_is"] = main is not None and _extreme_ok(main, spec["main_is"], catalog)
    if "cited_all" in spec:
        checks["cited_all"] = bool(cited) and all(matches(p, spec["cited_all"]) for p in cited)
    if "must_state" in spec:
        checks["must_state"] = main is not None and facts.states_fact(
            lead, main, spec["must_state"]
        )
    if spec.get("main_same_as_previous"):
        checks["main_same_as_previous"] = (
            main is not None
            and previous_main is not None
            and main["product_id"] == previous_main["product_id"]
        )
    if spec.get("main_cheaper_than_previous"):
        checks["main_cheaper_than_previous"] = (
            main is not None and previous_main is not None and m["price"] < previous_main["price"]
        )
    checks["not_degenerate"] = not degenerate(text)
    styles = sorted({p["breathing_style"] for p in catalog})
    checks["facts_true"] = facts.check_facts(text, cited or list(named), styles, []).ok
    return TurnGrade(
        spec["q"], text, source, int(m["product_id"]) if main else None, list(cited_ids), checks
    )


Ask = Callable[[Any, str], Any]  # (session, question) -> an answer with text/cited_ids/source


def grade_question_set(
    ask: Ask, new_session: Callable[[], Any], questions: dict, catalog: Sequence[dict]
) -> dict:
    """Ask every single question and conversation; the share of answers passing all properties."""
    by_id = {int(p["product_id"]): p for p in catalog}
    singles = []
    for spec in questions["single"]:
        a = ask(new_session(), spec["q"])
        singles.append(grade_answer(spec, a.text, a.cited_ids, a.source, catalog))
    turns = []
    for conversation in questions["conversations"]:
        session = new_session()
        previous = None
        for spec in conversation:
            a = ask(session, spec["q"])
            grade = grade_answer(spec, a.text, a.cited_ids, a.source, catalog, previous)
            turns.append(grade)
            previous = by_id.get(grade.main_id) if grade.main_id is not None else previous
    every = singles + turns
    return {
        "single_questions": len(singles),
        "single_pass_share": sum(t.passed for t in singles) / max(len(singles), 1),
        "conversation_turns": len(turns),
        "conversation_turn_pass_share": sum(t.passed for t in turns) / max(len(turns), 1),
        "degenerate_answers": sum(not t.checks["not_degenerate"] for t in every),
        "llm_kept_share": sum(t.source == "llm" for t in every) / max(len(every), 1),
        "answers": [dataclasses.asdict(t) | {"passed": t.passed} for t in every],
    }
