"""Support conversations: customers, agents with a latent skill, and what really happened.

Each conversation is simulated from facts (the issue kinds and scenarios of `support_scenarios`,
an outcome, the agent's skill) and only then written out as turns, so its reference summary is
written from the conversation's own facts, never from its wording.

The agent's skill is hidden from everything downstream: it raises the chance of a resolution and
lowers that of a wrong first answer and of a long wait, which in turn move the customer's
sentiment. Support QA by agent has to find it again from the conversations.

Three evaluation splits (`eval_split`): `train`; `phrasing`, worded with phrasing set B, never
seen in training; `agents`, the conversations of held-out agents and of issue pairs that never
occur together in training.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa

from hashira_assets.raw import support_chat_style as style
from hashira_assets.raw.entities import Products
from hashira_assets.raw.support_scenarios import SCENARIOS, TEAMS, UNRESOLVED, Outcome, Scenario
from hashira_assets.raw.vocabulary import BREATHING_STYLES

N_AGENTS = 16
N_HELDOUT_AGENTS = 2  # the last agent ids
HELDOUT_PHRASING_SHARE = 0.2
MULTI_ISSUE_SHARE = 0.2
MAX_TURNS = 20
# Issue pairs kept out of training: the `agents` split holds every chat that raises one of them.
HELDOUT_MIXES = frozenset(
    frozenset(pair)
    for pair in (
        ("billing", "delivery"),
        ("account", "returns"),
        ("defect", "order_change"),
        ("care", "product_question"),
    )
)
CATEGORIES = tuple(SCENARIOS)
_CODE_WORDS = ("WISTERIA", "CROW", "DOJO", "KAGURA", "HASHIRA", "NICHIRIN")
_STREETS = ("Fujikasane", "Sakonji", "Asakusa", "Kiriya", "Hanafuda", "Mugen")
_PLACES = ("Lane", "Road", "Street", "Path")

SUPPORT_SCHEMA = pa.schema(
    [
        ("conversation_id", pa.int32()),
        ("customer_id", pa.int32()),
        ("product_id", pa.int32()),
        ("agent_id", pa.string()),
        ("started_at", pa.timestamp("ms")),
        ("issue_category", pa.string()),
        ("issue_categories", pa.list_(pa.string())),
        ("resolution_type", pa.string()),
        ("resolved", pa.bool_()),
        ("sentiment", pa.string()),
        ("phrasing_set", pa.string()),
        ("eval_split", pa.string()),
        ("turns", pa.list_(pa.struct([("speaker", pa.string()), ("text", pa.string())]))),
        ("transcript", pa.string()),
        ("reference_summary", pa.string()),
    ]
)


@dataclasses.dataclass(frozen=True)
class Agent:
    agent_id: str
    skill: float  # 0-1, latent
    heldout: bool


def support_agents(rng: np.random.Generator) -> list[Agent]:
    """The support team: skills from a Beta(4, 2), the last few held out of training."""
    skills = rng.beta(4.0, 2.0, N_AGENTS)
    return [
        Agent(f"agent-{i + 1:02d}", float(skills[i]), i >= N_AGENTS - N_HELDOUT_AGENTS)
        for i in range(N_AGENTS)
    ]


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def conversation_slots(
    rng: np.random.Generator, products: Products, product: int, name: str
) -> dict[str, str]:
    """The facts one conversation may mention, drawn once so every turn agrees."""
    price = float(products.price[product])
    percent = int(rng.choice([5, 10, 15, 20]))
    weight = float(products.weight_kg[product])
    points = int(rng.integers(5, 60))
    other = int(rng.integers(0, len(products)))
    if other == product:
        other = (product + 1) % len(products)
    current_style = BREATHING_STYLES[int(products.style[product])]
    new_style = [s for s in BREATHING_STYLES if s != current_style][int(rng.integers(0, 12))]
    return {
        "name": name.split()[0],
        "product": products.name[product],
        "other_product": products.name[other],
        "order": f"HM-{int(rng.integers(10_000, 999_999))}",
        "days": str(int(rng.integers(2, 15))),
        "amount": f"{price * rng.choice([1.0, 1.0, 0.5, 0.2]):.2f}",
        "percent": str(percent),
        "code": f"{_CODE_WORDS[int(rng.integers(0, len(_CODE_WORDS)))]}{percent}",
        "points": str(points),
        "balance": str(points + int(rng.integers(20, 400))),
        "address": f"{int(rng.integers(1, 99))} {style.pick(rng, _STREETS)} "
        f"{style.pick(rng, _PLACES)}",
        "weight": f"{weight:.1f} kg",
        "actual": f"{weight * rng.uniform(0.7, 0.9):.1f} kg",
        "date": _ordinal(int(rng.integers(1, 29))),
        "hours": str(int(rng.choice([24, 48, 72]))),
        "style": new_style,
        "team": style.pick(rng, TEAMS),
    }


@dataclasses.dataclass
class Chat:
    """Turns being written, with the customer's typing habits."""

    rng: np.random.Generator
    phrasing: str
    slots: dict[str, str]
    typo_rate: float | None  # None: a careful writer
    turns: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def say(self, speaker: str, text: str) -> None:
        # Typos go into the wording before the facts are filled in: names and numbers stay exact.
        if speaker == "customer" and self.typo_rate is not None:
            text = style.casual(text, self.rng, self.typo_rate)
        self.turns.append((speaker, text.format(**self.slots)))

    def say_one(self, speaker: str, options: dict[str, tuple[str, ...]], prefix: str = "") -> None:
        self.say(speaker, prefix + style.pick(self.rng, options[self.phrasing]))

    def mentions(self, value: str) -> bool:
        return any(value.lower() in text.lower() for _, text in self.turns)


@dataclasses.dataclass(frozen=True)
class Issue:
    category: str
    scenario: Scenario
    outcome_key: str
    outcome: Outcome


def _draw_issue(rng: np.random.Generator, category: str, skill: float) -> Issue:
    scenario = SCENARIOS[category][int(rng.integers(0, len(SCENARIOS[category])))]
    if rng.random() < 0.55 + 0.4 * skill:
        key = list(scenario.outcomes)[int(rng.integers(0, len(scenario.outcomes)))]
        return Issue(category, scenario, key, scenario.outcomes[key])
    key = "escalated" if rng.random() < 0.7 else "no_solution"
    return Issue(category, scenario, key, UNRESOLVED[key])


def _raise_issue(chat: Chat, issue: Issue, first: bool, skill: float) -> bool:
    """The customer raises one issue and the agent works on it; True if the agent first
    answered wrongly."""
    rng = chat.rng
    opening = style.pick(rng, issue.scenario.openings[chat.phrasing])
    with_order = issue.scenario.needs_order and rng.random() < 0.5
    if with_order:
        opening += style.pick(rng, (" Order {order}.", " ({order})", " order {order}"))
    if first:
        chat.say("customer", style.pick(rng, style.GREETINGS[chat.phrasing]) + opening)
    else:
        lead = style.pick(rng, style.ALSO[chat.phrasing])
        chat.say("customer", lead + opening[0].lower() + opening[1:])
    quick = not issue.scenario.needs_order and rng.random() < 0.3
    if not quick:
        if first:
            chat.say_one("agent", style.AGENT_HELLO)
        if issue.scenario.needs_order and not with_order:
            chat.say_one("agent", style.ASK_ORDER)
            chat.say_one("customer", style.GIVE_ORDER)
        elif rng.random() < 0.5:
            chat.say_one("agent", style.ASK_DETAIL)
            chat.say_one("customer", style.DETAILS)
    if not chat.mentions(chat.slots["product"]) and "{product}" in issue.scenario.issue:
        chat.say("agent", style.pick(rng, ("I can see the order for the {product}.",
                                           "Found it: that's the {product}.")))  # fmt: skip
    mistake = not quick and rng.random() < 0.45 * (1 - skill)
    if mistake:
        chat.say_one("agent", style.WRONG_ANSWERS)
        chat.say_one("customer", style.PUSHBACK)
        chat.say_one("agent", style.CORRECTION)
    for _ in range(int(rng.poisson(1.2 * (1 - skill)))):
        if len(chat.turns) + 6 > MAX_TURNS:
            break
        if rng.random() < 0.5:
            chat.say_one("agent", style.HOLD)
        else:
            for speaker, text in style.FILLER[chat.phrasing]:
                chat.say(speaker, text)
    chat.say("agent", style.pick(rng, issue.outcome.agent[chat.phrasing]))
    return mistake


def _sentiment(rng: np.random.Generator, resolved: bool, mistakes: int, turns: int, skill: float):
    score = (
        0.9 * resolved - 0.6 * mistakes - 0.04 * turns + 0.6 * (skill - 0.5) + rng.normal(0, 0.35)
    )
    return "positive" if score > 0.45 else "negative" if score < -0.05 else "neutral"


def summary_of(issues: list[Issue], mistakes: int, slots: dict) -> str:
    """The reference summary, from the facts: the issues and what the agent did."""
    parts = []
    for i, issue in enumerate(issues):
        lead = "Customer " if i == 0 else "They also "
        parts.append(lead + issue.scenario.issue.format(**slots) + ".")
        parts.append(issue.outcome.summary.format(**slots))
    if mistakes:
        parts.append("The agent first gave an unhelpful answer.")
    # Sentiment is a field of its own (and a model's guess at it is not a fact to check).
    return " ".join(parts)


def simulate_conversation(
    rng: np.random.Generator,
    agent: Agent,
    categories: list[str],
    phrasing: str,
    slots: dict[str, str],
) -> dict:
    """One conversation's turns, labels and reference summary."""
    typo_rate = float(rng.uniform(0.0, 0.08)) if rng.random() < 0.45 else None
    chat = Chat(rng, phrasing, slots, typo_rate)
    issues = [_draw_issue(rng, category, agent.skill) for category in categories]
    mistakes = 0
    for i, issue in enumerate(issues):
        mistakes += _raise_issue(chat, issue, first=i == 0, skill=agent.skill)
        if i + 1 < len(issues) and rng.random() < 0.5:
            chat.say_one("customer", style.REACTIONS["neutral"])
    resolved = all(issue.outcome.resolved for issue in issues)
    sentiment = _sentiment(rng, resolved, mistakes, len(chat.turns), agent.skill)
    # Customers react; a short chat may end on the agent's answer.
    if len(chat.turns) > 2 or rng.random() < 0.5:
        chat.say_one("customer", style.REACTIONS[sentiment])
        if rng.random() < 0.35 and len(chat.turns) + 2 <= MAX_TURNS:
            chat.say_one("agent", style.ANYTHING_ELSE)
            chat.say_one("customer", style.NOTHING_ELSE)
    return {
        "agent_id": agent.agent_id,
        "issue_category": issues[0].category,
        "issue_categories": [issue.category for issue in issues],
        "resolution_type": issues[0].outcome_key,
        "resolved": resolved,
        "sentiment": sentiment,
        "turns": [{"speaker": s, "text": t} for s, t in chat.turns],
        "transcript": "\n".join(f"{s.title()}: {t}" for s, t in chat.turns),
        "reference_summary": summary_of(issues, mistakes, slots),
    }


def _categories(rng: np.random.Generator) -> list[str]:
    first = CATEGORIES[int(rng.integers(0, len(CATEGORIES)))]
    if rng.random() >= MULTI_ISSUE_SHARE:
        return [first]
    rest = [c for c in CATEGORIES if c != first]
    return [first, rest[int(rng.integers(0, len(rest)))]]


def support_conversations(
    n: int,
    customer_names: list[str],
    customer_signup: np.ndarray,
    products: Products,
    n_days: int,
    start: np.datetime64,
    rng: np.random.Generator,
) -> pa.Table:
    """`n` support conversations between the shop's customers and its agents."""
    agents = support_agents(rng)
    popularity = np.exp(products.log_popularity.astype(np.float64))
    popularity /= popularity.sum()
    rows: dict[str, list] = {name: [] for name in SUPPORT_SCHEMA.names}
    for i in range(n):
        customer = int(rng.integers(0, len(customer_names)))
        product = int(rng.choice(len(products), p=popularity))
        first_day = max(int(customer_signup[customer]), int(products.launch_day[product]), 0)
        day = int(rng.integers(min(first_day, n_days - 1), n_days))
        agent = agents[int(rng.integers(0, N_AGENTS))]
        categories = _categories(rng)
        heldout = agent.heldout or frozenset(categories) in HELDOUT_MIXES
        phrasing = "B" if not heldout and rng.random() < HELDOUT_PHRASING_SHARE else "A"
        slots = conversation_slots(rng, products, product, customer_names[customer])
        chat = simulate_conversation(rng, agent, categories, phrasing, slots)
        ms = int(rng.integers(8 * 3_600_000, 22 * 3_600_000))
        rows["conversation_id"].append(i)
        rows["customer_id"].append(customer)
        rows["product_id"].append(product)
        rows["started_at"].append(
            (start + np.timedelta64(day, "D")).astype("datetime64[ms]") + np.timedelta64(ms, "ms")
        )
        rows["phrasing_set"].append(phrasing)
        split = "agents" if heldout else "phrasing" if phrasing == "B" else "train"
        rows["eval_split"].append(split)
        for key, value in chat.items():
            rows[key].append(value)
    return pa.table(rows, schema=SUPPORT_SCHEMA)
