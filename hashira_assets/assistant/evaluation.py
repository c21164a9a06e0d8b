"""`hashira bench assistant`: retrieval and chat quality on a generated world (summaries: see
`summary_evaluation`).

Questions are written from paraphrase templates the index never saw; each retrieval and chat
question has exactly one right product (products with duplicate names are left out).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from hashira_assets.assistant import facts
from hashira_assets.assistant import grounding as g
from hashira_assets.assistant.chat import IDK_PREFIX, ChatEngine, ChatSession
from hashira_assets.assistant.checks import first_sentence, named_products
from hashira_assets.assistant.metrics import mean_reciprocal_rank, recall_at_k
from hashira_assets.index.search import SEARCH_METHODS, ProductSearch

RETRIEVAL_TEMPLATES = (
    "what would the {lname} set me back?",
    "tell me about that {ladj} {ltype} for {lstyle} breathers",
    "is the {style}-school {ltype} they call {adj} any good?",
    "{adj} {ltype}, {lstyle} style: is it worth buying?",
    "looking for the {rarity} {ltype} from the {adj} line, {lstyle} breathing",
)
# Harder questions that never name the product: its rarity, type, style and weight describe it,
# and only products that this description singles out in the catalog are asked about.
DESCRIBED_TEMPLATES = (
    "a {rarity} {ltype} for {lstyle} breathing that weighs {weight} kg",
    "I need a {lstyle} style {ltype}, {rarity} grade, about {weight} kilos",
    "which {rarity} {ltype} weighs {weight} kg and suits {lstyle} breathers?",
)
FACT_TEMPLATES = {
    "price": "What does the {name} cost?",
    "weight": "How many kilos does the {name} weigh?",
    "style": "Which breathing style is the {name} meant for?",
}
# The same facts asked in words the question parser was not written from (no "cost", "weigh" or
# "meant for"): the stricter benchmark reports these apart.
PARAPHRASE_TEMPLATES = {
    "price": ("{lname} - how pricey is it?", "price check on the {lname} pls"),
    "weight": ("roughly how heavy is the {lname}?", "what does the {name} weigh in at"),
    "style": ("who is the {lname} built for, breathing-wise?", "{name}: which school is it for"),
}
# Constraint questions: every product the answer cites must meet all of them.
CONSTRAINT_TEMPLATES = (
    "any {lstyle} breathing {ltype}s below {cap}?",
    "i want a {ltype}, {lstyle} style, at most {cap}",
    "{ltype} for {lstyle} breathers, under {cap} please",
)
OFF_CATALOG_THINGS = (
    "laser rifle", "crossbow", "flamethrower", "bazooka", "pistol", "motorcycle", "spellbook",
    "healing potion", "smartphone", "pizza", "lightsaber", "chainsaw", "boomerang", "trident",
    "bulletproof vest",
)  # fmt: skip
OFF_CATALOG_TEMPLATES = (
    "Do you sell a {thing}?",
    "How much is your cheapest {thing}?",
    "Which {thing} would suit {style} Breathing?",
)


def unique_name_products(products: list[dict]) -> list[dict]:
    counts: dict[str, int] = {}
    for p in products:
        counts[p["name"]] = counts.get(p["name"], 0) + 1
    return [p for p in products if counts[p["name"]] == 1]


def _slots(p: dict) -> dict[str, str]:
    adj = p["name"].replace(p["breathing_style"], "").replace(p["product_type"], "").split()
    adj_text = " ".join(adj) or p["name"]
    return {
        "name": p["name"],
        "lname": p["name"].lower(),
        "adj": adj_text,
        "ladj": adj_text.lower(),
        "ltype": p["product_type"].lower(),
        "style": p["breathing_style"],
        "lstyle": p["breathing_style"].lower(),
        "rarity": p["rarity"],
    }


def retrieval_questions(products: list[dict], n: int, seed: int) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    sample = rng.sample(unique_name_products(products), min(n, len(products)))
    return [
        (RETRIEVAL_TEMPLATES[i % len(RETRIEVAL_TEMPLATES)].format(**_slots(p)), p["product_id"])
        for i, p in enumerate(sample)
    ]


def _description_key(p: dict) -> tuple:
    return (p["rarity"], p["product_type"], p["breathing_style"], f"{p['weight_kg']:.2f}")


def described_questions(products: list[dict], n: int, seed: int) -> list[tuple[str, int]]:
    """Questions that describe one product by attributes only, never by its name."""
    counts: dict[tuple, int] = {}
    for p in products:
        counts[_description_key(p)] = counts.get(_description_key(p), 0) + 1
    unique = [p for p in products if counts[_description_key(p)] == 1]
    rng = random.Random(seed)
    sample = rng.sample(unique, min(n, len(unique)))
    return [
        (
            DESCRIBED_TEMPLATES[i % len(DESCRIBED_TEMPLATES)].format(
                **_slots(p), weight=f"{p['weight_kg']:.2f}"
            ),
            p["product_id"],
        )
        for i, p in enumerate(sample)
    ]


def evaluate_retrieval(search: ProductSearch, questions: list[tuple[str, int]], k: int = 5) -> dict:
    relevant = [pid for _, pid in questions]
    out: dict[str, Any] = {"questions": len(questions), "k": k}
    # The same hybrid search with reciprocal-rank fusion, for comparison with the default fusion.
    rrf = ProductSearch(search.table, fusion="rrf")
    runs = [(m, search, m) for m in SEARCH_METHODS] + [("hybrid_rrf", rrf, "hybrid")]
    for label, searcher, method in runs:
        start = time.perf_counter()
        rankings = [[h.product_id for h in searcher.search(q, method, 10)] for q, _ in questions]
        seconds = time.perf_counter() - start
        out[label] = {
            f"recall@{k}": recall_at_k(rankings, relevant, k),
            "mrr": mean_reciprocal_rank(rankings, relevant),
            "ms_per_query": 1000 * seconds / len(questions),
        }
    return out


def evaluate_chat(
    engine: ChatEngine,
    products: list[dict],
    n_facts: int,
    n_off: int,
    n_multi: int,
    seed: int,
    log: Callable[[str], None] = lambda _: None,
) -> dict:
    rng = random.Random(seed)
    catalog = {p["product_id"]: p for p in products}
    pool = unique_name_products(products)
    attrs = list(FACT_TEMPLATES)
    answers = []
    fact_sample = rng.sample(pool, min(n_facts, len(pool)))
    asked = [
        (
            p,
            attrs[i % len(attrs)],
            FACT_TEMPLATES[attrs[i % len(attrs)]].format(name=p["name"]),
            "template",
        )
        for i, p in enumerate(fact_sample)
    ]
    para_sample = rng.sample(pool, min(n_facts, len(pool)))
    for i, p in enumerate(para_sample):
        attribute = attrs[i % len(attrs)]
        options = PARAPHRASE_TEMPLATES[attribute]
        asked.append(
            (
                p,
                attribute,
                options[(i // len(attrs)) % len(options)].format(**_slots(p)),
                "paraphrase",
            )
        )
    for i, (p, attribute, question, kind) in enumerate(asked):
        a = engine.ask(ChatSession(), question)
        main = named_products(first_sentence(a.text), [p, *products])
        cited = [catalog[c] for c in a.cited_ids if c in catalog]
        check = facts.check_facts(
            a.text, cited or [p], g.CatalogVocabulary.from_rows(products).styles, []
        )
        answers.append(
            {
                "question": question,
                "product_id": p["product_id"],
                "attribute": attribute,
                "answer": a.text,
                "llm_text": a.llm_text,
                "source": a.source,
                "only_correct_facts": check.ok and not a.text.startswith(IDK_PREFIX),
                "kind": kind,
                "asked_fact_correct": facts.states_fact(a.text, p, attribute),
                # Stricter: the main sentence names the asked product first and states its fact.
                "asked_fact_correct_main": bool(main)
                and main[0]["product_id"] == p["product_id"]
                and facts.states_fact(first_sentence(a.text), p, attribute),
                "check_failures": list(a.check_failures),
                "llm_fact_errors": list(a.fact_errors),
                "ttft_s": a.ttft_seconds,
                "tokens": a.generated_tokens,
                "gen_s": a.generation_seconds,
            }
        )
        log(f"chat {i + 1}: {a.source} {question}")
    styles = sorted({p["breathing_style"] for p in products})
    off = []
    for i in range(n_off):
        thing = OFF_CATALOG_THINGS[i % len(OFF_CATALOG_THINGS)]
        question = OFF_CATALOG_TEMPLATES[i % len(OFF_CATALOG_TEMPLATES)].format(
            thing=thing, style=rng.choice(styles)
        )
        a = engine.ask(ChatSession(), question)
        off.append({"question": question, "answer": a.text, "idk": a.text.startswith(IDK_PREFIX)})
    multi = []
    for _ in range(n_multi):
        first, second = rng.sample(pool, 2)
        session = ChatSession()
        engine.ask(session, FACT_TEMPLATES["weight"].format(name=first["name"]))
        engine.ask(session, FACT_TEMPLATES["weight"].format(name=second["name"]))
        a = engine.ask(session, "And is it lighter than the other one?")
        truth = "Yes" if second["weight_kg"] < first["weight_kg"] else "No"
        multi.append({"answer": a.text, "correct": a.text.startswith(truth), "cited": a.cited_ids})
        log(f"multi-turn: {a.text[:60]}")
    constrained = _constraint_questions(engine, products, n_facts // 2, rng, log)
    timed = [a for a in answers if a["ttft_s"] is not None]
    decode_s = sum(a["gen_s"] - a["ttft_s"] for a in timed)
    decode_tokens = sum(max(a["tokens"] - 1, 0) for a in timed)
    n = len(answers)
    templ = [a for a in answers if a["kind"] == "template"]
    para = [a for a in answers if a["kind"] == "paraphrase"]
    return {
        "asked_fact_correct_main_share_template": _share(templ, "asked_fact_correct_main"),
        "asked_fact_correct_main_share_paraphrase": _share(para, "asked_fact_correct_main"),
        "asked_fact_correct_main_share": _share(answers, "asked_fact_correct_main"),
        "llm_kept_share_template": sum(a["source"] == "llm" for a in templ) / max(len(templ), 1),
        "llm_kept_share_paraphrase": sum(a["source"] == "llm" for a in para) / max(len(para), 1),
        "constraint_questions": len(constrained),
        "constraint_all_cited_satisfy_share": _share(constrained, "all_cited_satisfy"),
        "total_answer_s_median": statistics.median(a["gen_s"] for a in timed) if timed else None,
        "provider": engine.provider.name,
        "fact_questions": n,
        "only_catalog_correct_facts_share": sum(a["only_correct_facts"] for a in answers) / n,
        "asked_fact_correct_share": sum(a["asked_fact_correct"] for a in answers) / n,
        "llm_answer_kept_share": sum(a["source"] == "llm" for a in answers) / n,
        "llm_raw_answers_with_wrong_facts_share": sum(bool(a["llm_fact_errors"]) for a in answers)
        / n,
        "false_idk_share": sum(a["source"] == "idk" for a in answers) / n,
        "off_catalog_questions": len(off),
        "off_catalog_idk_share": sum(o["idk"] for o in off) / max(len(off), 1),
        "multi_turn_questions": len(multi),
        "multi_turn_correct_share": sum(m["correct"] for m in multi) / max(len(multi), 1),
        "ttft_s_median": statistics.median(a["ttft_s"] for a in timed) if timed else None,
        "ttft_s_max": max(a["ttft_s"] for a in timed) if timed else None,
        "tokens_per_s": decode_tokens / decode_s if decode_s > 0 else None,
        "examples": answers[:3] + para[:3] + constrained[:3] + off[:2] + multi[:1],
    }


def _share(rows: list[dict], key: str) -> float:
    return sum(bool(r[key]) for r in rows) / max(len(rows), 1)


def _constraint_questions(
    engine: ChatEngine,
    products: list[dict],
    n: int,
    rng: random.Random,
    log: Callable[[str], None],
) -> list[dict]:
    """Type + style + price-cap questions; every cited product must meet all three."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for p in products:
        groups.setdefault((p["product_type"], p["breathing_style"]), []).append(p)
    keys = sorted(k for k, v in groups.items() if len(v) >= 2)
    out = []
    for i, key in enumerate(rng.sample(keys, min(n, len(keys)))):
        prices = sorted(p["price"] for p in groups[key])
        cap = int(prices[len(prices) // 2]) + 1  # about half the group fits
        slots = {"ltype": key[0].lower(), "lstyle": key[1].lower(), "cap": cap}
        question = CONSTRAINT_TEMPLATES[i % len(CONSTRAINT_TEMPLATES)].format(**slots)
        a = engine.ask(ChatSession(), question)
        by_id = {p["product_id"]: p for p in products}
        cited = [by_id[c] for c in a.cited_ids if c in by_id]
        ok = (
            bool(cited)
            and a.source != "idk"
            and all(
                (p["product_type"], p["breathing_style"]) == key and p["price"] <= cap
                for p in cited
            )
        )
        out.append({"question": question, "answer": a.text, "all_cited_satisfy": ok})
        log(f"constraint {i + 1}: {ok} {question}")
    return out
