"""One check of the promotion gate, used by every model's tests: the same meaning for all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def assert_gate_both_ways(
    tracking, name: str, register_worse: Callable[[], Any], register_better: Callable[[], Any]
) -> list[Any]:
    """Register worse, worse again, better, worse again; each `register_*` runs the model's own
    lifecycle and returns its result. Checks: a first version is promoted; a retrained one ties
    and is kept (passed); a better one is promoted over it; a worse one is kept out with a
    negative margin (passed, with a warning); each version's tags say its own verdict."""
    first = register_worse()
    assert first.decision.promoted and first.decision.champion_version is None
    tie = register_worse()
    assert tie.decision.outcome == "kept" and tie.decision.tied, tie.decision.reason
    assert tie.decision.gate_passed and tie.decision.champion_version == first.version
    better = register_better()
    assert better.decision.promoted, better.decision.reason
    assert better.decision.champion_version == first.version and better.decision.margin > 0
    worse = register_worse()
    assert worse.decision.outcome == "kept" and worse.decision.gate_passed
    assert worse.decision.margin < 0 and worse.decision.warning
    assert worse.decision.champion_version == better.version
    assert tracking.champion_version(name) == better.version
    client = tracking.client()
    for result in (first, tie, better, worse):
        assert result.decision.candidate_version == result.version
        tags = client.get_model_version(name, result.version).tags
        assert tags["gate_outcome"] == result.decision.outcome
        assert float(tags[f"eval_{result.decision.metric}"]) == result.decision.candidate_score
    return [first, tie, better, worse]
