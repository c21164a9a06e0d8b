"""Support QA by agent over the running API: the per-agent view, one agent, bad input."""

from __future__ import annotations

import pytest
import requests

from tests.api_fixtures import SHOPPER, STAFF

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _get(api_server, who, **params):
    return requests.get(
        f"{api_server.url}/support/agents", headers=api_server.headers(who), params=params,
        timeout=120,
    )  # fmt: skip


def test_agents_with_their_figures_and_flagged_conversations(api_server):
    answer = _get(api_server, STAFF)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    agents = body["agents"]
    assert len(agents) >= 2
    assert sum(a["conversations"] for a in agents) <= 60
    assert all(0 <= a["resolution_rate"] <= 1 and -1 <= a["sentiment_score"] <= 1 for a in agents)
    # Lowest resolution rate first: who to look at first.
    rates = [a["resolution_rate"] for a in agents]
    assert rates == sorted(rates)
    assert body["flagged_total"] >= len(body["flagged"]) > 0
    assert all(row["flags"] for row in body["flagged"])

    one = agents[0]["agent_id"]
    mine = _get(api_server, STAFF, agent_id=one, limit=5).json()
    assert [a["agent_id"] for a in mine["agents"]] == [one]
    assert all(row["agent_id"] == one for row in mine["flagged"]) and len(mine["flagged"]) <= 5


def test_unknown_agent_is_404_and_shoppers_are_refused(api_server):
    unknown = _get(api_server, STAFF, agent_id="agent-99")
    assert unknown.status_code == 404 and "agent-99" in unknown.text
    assert _get(api_server, SHOPPER).status_code == 403
    assert _get(api_server, STAFF, limit=0).status_code == 422
