"""What support chats are about: each issue kind, its scenarios, and how each can end.

A scenario is one concrete problem of a kind (a double charge is one billing scenario, a missing
discount another). Each has customer openings in two disjoint phrasing sets (A trains, B is held
out), and outcomes: what the agent says when it ends that way, the sentence the reference summary
uses for it, and the actions it takes (what the faithfulness check looks for).

Slots, filled per conversation: {product} {other_product} {order} {days} {amount} {points}
{balance} {code} {percent} {address} {weight} {actual} {date} {hours} {style} {team}.
"""

from __future__ import annotations

from hashira_assets.raw.support_scenario_types import (
    TEAMS,
    UNRESOLVED,
    Outcome,
    Scenario,
)
from hashira_assets.raw.support_scenarios_orders import ORDER_SCENARIOS
from hashira_assets.raw.support_scenarios_products import PRODUCT_SCENARIOS

# The order of the kinds fixes the generator's draws: keep it.
_KINDS = (
    "order_status", "delivery", "defect", "returns", "billing", "account", "order_change",
    "product_question", "care", "sizing",
)  # fmt: skip
_ALL = {**ORDER_SCENARIOS, **PRODUCT_SCENARIOS}
SCENARIOS: dict[str, tuple[Scenario, ...]] = {kind: _ALL[kind] for kind in _KINDS}

__all__ = ["SCENARIOS", "TEAMS", "UNRESOLVED", "Outcome", "Scenario"]
