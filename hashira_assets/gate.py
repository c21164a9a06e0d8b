"""The promotion gate as a Dagster check: the same blocking `beats_champion` check on every
model asset, reporting the lifecycle's decision on the version this run registered."""

from __future__ import annotations

from collections.abc import Callable

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec

from resources.model_lifecycle import PromotionDecision

GATE_CHECK = "beats_champion"


def gate_check_spec(asset_name: str) -> AssetCheckSpec:
    """The blocking gate check of one model asset."""
    return AssetCheckSpec(
        GATE_CHECK,
        asset=asset_name,
        blocking=True,
        description="This run's version was compared with the champion on the same evaluation "
        "data: passed when it was promoted or the champion was kept (with a warning), failed "
        "when no version good enough to serve exists.",
    )


def gate_check_result(
    decision: PromotionDecision, warn: Callable[[str], None] | None = None
) -> AssetCheckResult:
    """The check result for a decision; a kept champion passes, with its margin and a warning
    in the metadata (and in the run's log through `warn`)."""
    metadata = {"reason": decision.reason, **decision.as_metadata()}
    if decision.warning is not None:
        kept_out = f"candidate v{decision.candidate_version} kept out"
        metadata["warning"] = f"{kept_out}: {decision.warning}"
        if warn is not None:
            warn(metadata["warning"])
    return AssetCheckResult(
        check_name=GATE_CHECK,
        passed=decision.gate_passed,
        severity=AssetCheckSeverity.ERROR,
        metadata=metadata,
    )
