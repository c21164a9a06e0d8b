"""The product chat engine (RAG) and its "combat coach" persona.

understand the question (needs -> catalog types, budgets, superlatives, follow-ups) -> choose the
products from the catalog (the filtered set's extreme, the previous result set, or hybrid search)
-> the LLM phrases the main product's facts -> every check passes, or the data-built answer shows.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from typing import Any

from hashira_assets.assistant import facts
from hashira_assets.assistant import grounding as g
from hashira_assets.assistant.checks import degenerate, model_text_failures, named_products
from hashira_assets.assistant.general import FaqBook, general_answer, general_kind, types_named
from hashira_assets.assistant.safety import cut_input, has_injection, neutralize
from hashira_assets.assistant.selection import Selection, select
from hashira_assets.assistant.understanding import TypeMatcher
from hashira_assets.index.embedding import embed
from hashira_assets.index.search import ProductSearch, SearchFilters

# The model phrases an answer the data already gives: the context is one exact sentence, which a
# 135M-parameter model rewrites faithfully far more often than it composes facts from a list.
SHOP_SYSTEM = (
    "You rewrite a shop's answer as one friendly sentence for the customer. Keep every product "
    "name and number exactly as written."
)
COACH_SYSTEM = (
    "You are the HashiraMart combat coach. Given a slayer's profile, suggest a short weekly "
    "training routine in two or three sentences and mention the listed accessories by name. "
    "Use only the facts given between <products> tags."
)
IDK_PREFIX = "I don't know"


@dataclasses.dataclass
class ChatAnswer:
    """The final answer of one turn."""

    text: str
    cited_ids: list[int]
    source: str  # "llm": the model's words passed the checks; "data": answered from the data;
    # "idk": the question is not about the catalog
    notices: list[str]
    llm_text: str = ""
    fact_errors: tuple[str, ...] = ()
    ttft_seconds: float | None = None
    generated_tokens: int = 0
    generation_seconds: float = 0.0
    retrieved_ids: list[int] = dataclasses.field(default_factory=list)
    # The filters the turn's result set was chosen with: "those" in the next turn means them.
    filters: SearchFilters | None = None
    check_failures: tuple[str, ...] = ()  # why the model's own text was not kept


@dataclasses.dataclass
class ChatSession:
    """One shopper's conversation: what was said and which products it was about."""

    history: list[dict] = dataclasses.field(default_factory=list)
    focus_ids: list[int] = dataclasses.field(default_factory=list)  # main products, latest last
    result_ids: list[int] = dataclasses.field(default_factory=list)  # the last result set
    filters: SearchFilters | None = None  # what the last result set was chosen by

    def remember(self, question: str, answer: ChatAnswer) -> None:
        self.history += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.text},
        ]
        if answer.source != "idk" and answer.filters is not None:
            self.filters = answer.filters
            self.result_ids = list(answer.retrieved_ids)
        # The turn's main product: "it" in the next question, "the other one" in the one after.
        if answer.cited_ids and answer.source != "idk":
            main = answer.cited_ids[0]
            if main in self.focus_ids:
                self.focus_ids.remove(main)
            self.focus_ids.append(main)


def _context_block(products: Sequence[dict]) -> str:
    lines = []
    for p in products:
        description = neutralize(p.get("text", "").split("\n")[2] if p.get("text") else "")
        first_sentence = description.split(". ")[0].strip().rstrip(".")
        lines.append(
            f"- {facts.product_facts(p)}." + (f" {first_sentence}." if first_sentence else "")
        )
    return "<products>\n" + "\n".join(lines) + "\n</products>"


class ChatEngine:
    """Answers shoppers' questions from the product index with an LLM, grounded in the data."""

    def __init__(
        self,
        search: ProductSearch,
        provider: Any,
        k: int = 3,
        max_new_tokens: int = 48,
        history_turns: int = 2,
    ):
        self.search = search
        self.provider = provider
        self.k = k
        self.max_new_tokens = max_new_tokens
        self.history_turns = history_turns
        rows = (
            search.table.search()
            .select(["product_id", "name", "product_type", "breathing_style", "department", "text"])
            .limit(None)
            .to_list()
        )
        self.vocab = g.CatalogVocabulary.from_rows(rows)
        self.matcher = TypeMatcher(
            self.vocab.product_types,
            {r["product_type"] for r in rows if r["department"] == "accessory"},
        )
        self.products = (
            search.table.search()
            .select(["product_id", "name", "product_type", "breathing_style", "price",
                     "weight_kg"])
            .limit(None)
            .to_list()
        )  # fmt: skip
        self.faqs = FaqBook(rows, embed)

    # ------------------------------------------------------------------ public API
    def ask(self, session: ChatSession, question: str) -> ChatAnswer:
        answer = None
        for event in self.ask_stream(session, question):
            if isinstance(event, ChatAnswer):
                answer = event
        assert answer is not None
        return answer

    def ask_stream(self, session: ChatSession, question: str) -> Iterator[str | ChatAnswer]:
        """Yield the LLM's text as it is generated, then the final (checked) `ChatAnswer`.

        The final text differs from the streamed one when the facts check replaced it; the UI
        shows the final one."""
        notices: list[str] = []
        question, cut_notice = cut_input(question)
        if cut_notice:
            notices.append(cut_notice)
        if has_injection(question):
            notices.append("Instructions inside messages are ignored.")
            question = neutralize(question) or question
        intent = g.parse_question(question, self.vocab, self.matcher)
        terms = intent.terms
        general = self._general(question, intent, notices)
        if general is not None:
            session.remember(question, general)
            yield general
            return
        off_catalog = (
            terms is not None
            and terms.rare_unknown
            and not terms.product_types
            and terms.department is None
        )
        if off_catalog and not intent.named_ids and not intent.follow_up:
            answer = self._idk(question, terms.rare_unknown, notices)
            session.remember(question, answer)
            yield answer
            return

        chosen = select(
            self.search,
            question,
            intent,
            session.focus_ids,
            session.filters,
            session.result_ids,
            self.k,
        )
        if not chosen.products:
            answer = self._idk(question, (), notices, filtered=True)
            session.remember(question, answer)
            yield answer
            return

        answer = yield from self._generate_checked(chosen, intent, question, notices)
        session.remember(question, answer)
        yield answer

    def coach(
        self, profile: dict, owned: Sequence[dict], battle_picks: Sequence[Any] = ()
    ) -> Iterator[str | ChatAnswer]:
        """The combat coach: a training routine and catalog accessories for one slayer, and the
        battle-fit model's best weapons for them when given (`BattlePick`-like objects)."""
        style = profile.get("breathing_style")
        query = f"training accessories for {style} Breathing slayers"
        products = [
            h.row
            for h in self.search.hybrid(
                query,
                self.k,
                SearchFilters(department="accessory", breathing_style=style, in_stock=True),
            )
        ]
        if len(products) < self.k:
            extra = self.search.hybrid(
                query, self.k, SearchFilters(department="accessory", in_stock=True)
            )
            seen = {p["product_id"] for p in products}
            products += [h.row for h in extra if h.product_id not in seen][: self.k - len(products)]
        stats = {k: float(profile.get(k, 0.5)) for k in ("strength", "dexterity", "stamina")}
        weakest = min(stats, key=lambda k: stats[k])
        owned_names = ", ".join(p["name"] for p in owned) or "no weapons yet"
        question = (
            f"Slayer profile: {style} Breathing, level {profile.get('level', '?')}, "
            f"strength {stats['strength']:.2f}, dexterity {stats['dexterity']:.2f}, "
            f"stamina {stats['stamina']:.2f} (weakest: {weakest}). Owns: {owned_names}. "
            "Suggest a training routine and accessories."
        )
        messages = [
            {"role": "system", "content": COACH_SYSTEM + "\n" + _context_block(products)},
            {"role": "user", "content": question},
        ]
        llm_text, ttft, seconds = yield from self._stream(messages)
        allowed = [float(profile.get("level", 0)), *stats.values()]
        check = facts.check_facts(llm_text, products, self.vocab.styles, allowed)
        named = named_products(llm_text, products)
        kept = check.ok and bool(named) and not degenerate(llm_text)
        text = llm_text if kept else coach_routine(weakest, products)
        cited = [int(p["product_id"]) for p in (named if kept else products)]
        if battle_picks:
            # Added from the model's output after the check: the numbers are the model's own.
            text += "\n" + battle_line(battle_picks)
            cited += [int(b.product_id) for b in battle_picks if int(b.product_id) not in cited]
        yield ChatAnswer(
            text=text,
            cited_ids=cited,
            source="llm" if kept else "data",
            notices=[],
            llm_text=llm_text,
            fact_errors=check.errors,
            ttft_seconds=ttft,
            generated_tokens=_count_tokens(self.provider, llm_text),
            generation_seconds=seconds,
            retrieved_ids=[int(p["product_id"]) for p in products],
        )

    # ------------------------------------------------------------------ steps
    def _generate_checked(
        self, chosen: Selection, intent: g.QuestionIntent, question: str, notices: list[str]
    ) -> Iterator[str]:
        """Stream the model's phrasing of the chosen products' facts, then keep it only if it
        passes every check; otherwise answer with the data-built text."""
        products = chosen.products
        if chosen.pair is not None:
            text = facts.comparison_answer(chosen.pair[0], chosen.pair[1], intent.comparison)
            return ChatAnswer(
                text=text,
                cited_ids=[int(p["product_id"]) for p in chosen.pair],
                source="data",
                notices=notices,
                retrieved_ids=[int(p["product_id"]) for p in products],
                filters=chosen.filters,
            )
        main = products[0]
        messages = [
            {"role": "system", "content": SHOP_SYSTEM},
            {
                "role": "user",
                "content": f"Customer: {neutralize(question)}\nAnswer: {chosen.lead}\n"
                "Rewrite the answer in one sentence.",
            },
        ]
        numbers = [facts.number(x) for x in facts.NUMBER.findall(question)]
        llm_text, ttft, seconds = yield from self._stream(messages)
        failures = model_text_failures(
            llm_text, main, products, self.vocab.names, self.vocab.styles, intent.attribute, numbers
        )
        data_text = (
            chosen.lead
            + "\nFrom the catalog:\n"
            + "\n".join(f"- {facts.product_facts(p)}" for p in products)
        )
        if failures:
            text, source = data_text, "data"
            cited = [int(p["product_id"]) for p in products]
        else:
            text, source = llm_text, "llm"
            named = named_products(llm_text, products)
            cited = list(
                dict.fromkeys([int(main["product_id"])] + [int(p["product_id"]) for p in named])
            )
        return ChatAnswer(
            text=text,
            cited_ids=cited,
            source=source,
            notices=notices,
            llm_text=llm_text,
            fact_errors=facts.check_facts(llm_text, products, self.vocab.styles, numbers).errors,
            ttft_seconds=ttft,
            generated_tokens=_count_tokens(self.provider, llm_text),
            generation_seconds=seconds,
            retrieved_ids=[int(p["product_id"]) for p in products],
            filters=chosen.filters,
            check_failures=tuple(failures),
        )

    def _stream(self, messages: list[dict]) -> Iterator[str]:
        start = time.perf_counter()
        ttft = None
        pieces: list[str] = []
        for piece in self.provider.stream(messages, self.max_new_tokens):
            if ttft is None:
                ttft = time.perf_counter() - start
            pieces.append(piece)
            yield piece
        return "".join(pieces).strip(), ttft, time.perf_counter() - start

    def _general(
        self, question: str, intent: g.QuestionIntent, notices: list[str]
    ) -> ChatAnswer | None:
        """A general question answered from the shop's FAQs and catalog, or declined; None when
        the question asks for products."""
        specific = (
            intent.named_ids or intent.follow_up or intent.superlative or intent.comparison
            or intent.attribute or intent.filters.max_price is not None
        )  # fmt: skip
        # The types the question names come first; a need's matched type only stands in when
        # none is named ("how do I care for my whip sword" is about the whip sword).
        asked = types_named(question, self.vocab.product_types) or list(
            intent.terms.product_types if intent.terms is not None else ()
        )
        kind = None if specific else general_kind(question, asked)
        if kind is None:
            return None
        found = general_answer(kind, question, asked, self.products, self.faqs)
        if found is None:
            return ChatAnswer(
                text=f"{IDK_PREFIX}: our catalog and FAQs do not answer that question.",
                cited_ids=[],
                source="idk",
                notices=notices,
            )
        text, cited = found
        return ChatAnswer(
            text=text, cited_ids=cited, source="data", notices=notices, retrieved_ids=cited
        )

    def _idk(
        self, question: str, unknown: Sequence[str], notices: list[str], filtered: bool = False
    ) -> ChatAnswer:
        closest = [h.row for h in self.search.hybrid(question, self.k)]
        what = (
            "no product matches all of those conditions"
            if filtered
            else "that is not something our catalog has (" + ", ".join(unknown[:3]) + ")"
        )
        lines = [f"{IDK_PREFIX}: {what}. The closest products we carry:"]
        lines += [f"- {facts.product_facts(p)}" for p in closest]
        return ChatAnswer(
            text="\n".join(lines),
            cited_ids=[int(p["product_id"]) for p in closest],
            source="idk",
            notices=notices,
            retrieved_ids=[int(p["product_id"]) for p in closest],
        )


def coach_routine(weakest: str, accessories: Sequence[dict]) -> str:
    """The coach's data answer: a routine for the weakest attribute plus catalog accessories."""
    drills = {
        "strength": "three sessions of heavy swings and two of breathing-paced carries",
        "dexterity": "daily footwork and quick-draw drills, with one long form practice",
        "stamina": "long runs at dawn and total concentration breathing held through sparring",
    }[weakest]
    lines = [f"Your weakest attribute is {weakest}: this week, do {drills}."]
    if accessories:
        lines.append("Accessories from the catalog for it:")
        lines += [f"- {facts.product_facts(p)}" for p in accessories]
    return "\n".join(lines)


def battle_line(picks: Sequence[Any]) -> str:
    """The battle-fit model's best weapons for the slayer, with its win chances and reasons."""
    version = picks[0].model_version
    lines = [f"Best for your battles (battle-fit model version {version}):"]
    lines += [
        f"- {b.name} (id {b.product_id}): {b.win_chance:.0%} predicted win chance; {b.reason}"
        for b in picks
    ]
    return "\n".join(lines)


def _count_tokens(provider: Any, text: str) -> int:
    counter = getattr(provider, "count_tokens", None)
    if counter is None:
        fallback = getattr(provider, "_fallback", None)
        counter = getattr(fallback, "count_tokens", None) if fallback is not None else None
    if counter is not None and text:
        return int(counter(text))
    return len(text.split())
