"""The support-chat generator: variety, splits, agents, and references written from facts."""

import numpy as np
import pytest

from hashira_assets.assistant.faithfulness import unsupported_facts
from hashira_assets.raw import entities
from hashira_assets.raw.support_chat_style import casual
from hashira_assets.raw.support_chats import (
    CATEGORIES,
    HELDOUT_MIXES,
    MAX_TURNS,
    N_AGENTS,
    N_HELDOUT_AGENTS,
    SUPPORT_SCHEMA,
    support_conversations,
)
from hashira_assets.raw.world_config import make_config


def _generate(n: int, seed: int):
    config = make_config("tiny")
    customers = entities.make_customers(config, np.random.default_rng(1))
    products = entities.make_products(config, np.random.default_rng(2))
    names = [f"Slayer{i} Kamado" for i in range(config.n_customers)]
    table = support_conversations(
        n, names, customers.signup_day, products, config.n_days, np.datetime64("2026-01-01"),
        np.random.default_rng(seed),
    )  # fmt: skip
    return table, products


@pytest.fixture(scope="module")
def chats():
    table, products = _generate(600, seed=5)
    return table.to_pylist(), products


def test_same_seed_same_table_and_schema():
    first, _ = _generate(50, seed=3)
    again, _ = _generate(50, seed=3)
    other, _ = _generate(50, seed=4)
    assert first.schema.equals(SUPPORT_SCHEMA)
    assert first.equals(again) and not first.equals(other)


def test_variety_of_kinds_lengths_and_writing(chats):
    rows, _ = chats
    assert {c["issue_category"] for c in rows} == set(CATEGORIES)
    lengths = [len(c["turns"]) for c in rows]
    assert min(lengths) >= 2 and max(lengths) <= MAX_TURNS and len(set(lengths)) >= 8
    assert any(len(c["issue_categories"]) == 2 for c in rows)
    customer_lines = [t["text"] for c in rows for t in c["turns"] if t["speaker"] == "customer"]
    assert sum(line == line.lower() for line in customer_lines) > len(customer_lines) / 5
    assert {"ok", "fine"} & set(customer_lines)
    assert any(not c["resolved"] for c in rows) and any(c["resolved"] for c in rows)


def test_every_reference_summary_is_supported_by_its_chat(chats):
    rows, products = chats
    for c in rows:
        assert not unsupported_facts(c["reference_summary"], c["transcript"], products.name), c


def test_splits_hold_out_agents_and_issue_pairs(chats):
    rows, _ = chats
    first_heldout = N_AGENTS - N_HELDOUT_AGENTS + 1
    heldout_agents = {f"agent-{i:02d}" for i in range(first_heldout, N_AGENTS + 1)}
    for c in rows:
        mix = frozenset(c["issue_categories"])
        if c["agent_id"] in heldout_agents or mix in HELDOUT_MIXES:
            assert c["eval_split"] == "agents"
        else:
            assert c["eval_split"] in ("train", "phrasing")
        assert (c["phrasing_set"] == "B") == (c["eval_split"] == "phrasing")
    assert {c["eval_split"] for c in rows} == {"train", "phrasing", "agents"}


def test_a_skilled_agent_resolves_more(chats):
    rows, _ = chats
    by_agent: dict[str, list[bool]] = {}
    for c in rows:
        by_agent.setdefault(c["agent_id"], []).append(c["resolved"])
    rates = sorted(np.mean(v) for v in by_agent.values())
    # The latent skill spreads the agents apart well beyond sampling noise.
    assert rates[-1] - rates[0] > 0.2


def test_typed_chat_keeps_slots_exact():
    rng = np.random.default_rng(0)
    for _ in range(200):
        line = casual("My Order {order} of the {product} never arrived.", rng, typo_rate=0.5)
        assert "{order}" in line and "{product}" in line
