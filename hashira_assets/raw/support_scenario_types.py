"""The shape of a support scenario and the endings any kind can have.

A scenario is one concrete problem of an issue kind; each outcome holds what the agent says (in
phrasing sets A and B), the sentence the reference summary uses and the actions it takes. The
scenarios themselves are in `support_scenarios_orders` and `support_scenarios_products`; slots
(`{product}`, `{order}`, `{amount}`…) are filled per conversation by `support_chats`.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One way a scenario ends: the agent's words (per phrasing set), the summary's sentence."""

    agent: dict[str, tuple[str, ...]]
    summary: str
    actions: tuple[str, ...] = ()
    resolved: bool = True


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One concrete problem: what the summary says it was, how customers raise it, its endings."""

    issue: str
    openings: dict[str, tuple[str, ...]]
    outcomes: dict[str, Outcome]
    # Whether the agent needs the order number before acting.
    needs_order: bool = True


def outcome(a: tuple[str, ...], b: tuple[str, ...], summary: str, *actions: str) -> Outcome:
    """An outcome from its agent lines in phrasing sets A and B, its summary and actions."""
    return Outcome({"A": a, "B": b}, summary, tuple(actions))


# How a conversation ends when the agent cannot solve it (any kind).
UNRESOLVED: dict[str, Outcome] = {
    "escalated": Outcome(
        {
            "A": (
                "I can't sort this out from here; I've passed it to our {team} team and "
                "they'll reply within {days} days.",
            ),
            "B": (
                "This needs our {team} team. I've escalated it; expect an answer in {days} days.",
            ),
        },
        "The agent escalated it to the {team} team, who will reply within {days} days; it is "
        "not resolved yet.",
        ("escalation",),
        resolved=False,
    ),
    "no_solution": Outcome(
        {
            "A": ("I'm afraid there's nothing more I can do about that.",),
            "B": ("Sorry, there is no option I can offer for that.",),
        },
        "The agent could not offer a solution.",
        (),
        resolved=False,
    ),
}
TEAMS = ("logistics", "billing", "forge", "accounts")
