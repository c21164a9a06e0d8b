"""The one model lifecycle every trained model goes through: log → register → gate → promote.

The gate means the same for every model: *this run's candidate* is compared with the current
champion on the same evaluation data, by one metric.

- The candidate becomes champion only if it beats the champion by more than `min_delta`, or if
  there is no champion and it beats the gate's floor (a baseline), when one is given.
- A kept champion (tie or better) is a passed gate with a warning and its margin. The version is
  registered, so nothing is lost.
- A champion that cannot be scored on this data (its files were changed, or it was built for
  features this code no longer makes) stops the promotion with `ChampionUnscorableError`. The
  run fails closed; the champion is never silently replaced.
- The decision is about the version this run registered, and before the alias moves the champion
  is read again: if a concurrent run promoted another version meanwhile, the candidate is graded
  against that one instead.

Models supply only what is theirs (`Candidate`): their metrics, how to write their folder, and
how to score a saved folder on this run's evaluation data.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import math
import os
import socket
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from resources import settings
from resources.lake import TableVersion
from resources.mlflow_tracking import MlflowTrackingResource
from resources.model_runs import HOST_TAG, PID_TAG, fail_dead_runs, log_inputs

# Attempts to move the alias when concurrent runs keep promoting under this one.
MAX_GATE_ATTEMPTS = 5


class ChampionUnscorableError(RuntimeError):
    """The current champion cannot be scored on this run's evaluation data: no promotion."""


@dataclasses.dataclass(frozen=True)
class Gate:
    """How candidates of one model are compared: one metric, its direction, a minimum gain, and
    optionally a baseline score a first champion must beat."""

    metric: str
    higher_is_better: bool = True
    min_delta: float = 0.0
    floor: float | None = None
    floor_name: str = "baseline"

    def beats(self, candidate: float, other: float) -> bool:
        """Whether `candidate` is strictly better than `other` by more than `min_delta`."""
        if self.higher_is_better:
            return candidate > other + self.min_delta
        return candidate < other - self.min_delta

    def margin(self, candidate: float, other: float) -> float:
        """How much better `candidate` is than `other` (negative: worse), in the metric's units."""
        return candidate - other if self.higher_is_better else other - candidate


@dataclasses.dataclass(frozen=True)
class Candidate:
    """What one training run hands the lifecycle.

    `metrics` are the candidate's figures on the evaluation data (they hold `gate.metric`);
    `evaluate_saved(folder)` scores a saved model folder (the champion's) on that same data and
    returns its metrics, raising when it cannot. `write_model(folder)` writes the candidate's
    folder; `artifacts` maps further artifact paths to writers (plots, reports)."""

    model_name: str
    experiment: str
    gate: Gate
    params: Mapping[str, Any]
    metrics: Mapping[str, float]
    write_model: Callable[[Path], None]
    evaluate_saved: Callable[[Path], Mapping[str, float]]
    artifacts: Mapping[str, Callable[[Path], None]] = dataclasses.field(default_factory=dict)
    run_name: str = "train"
    version_tags: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # The content versions of the tables it trained and was evaluated on (MLflow dataset inputs).
    inputs: Sequence[TableVersion] = ()

    @property
    def score(self) -> float:
        return float(self.metrics[self.gate.metric])


@dataclasses.dataclass(frozen=True)
class PromotionDecision:
    """The gate's verdict on one registered version."""

    outcome: str  # "promoted", "kept" (the champion stays) or "rejected" (no champion, below floor)
    metric: str
    candidate_version: str
    candidate_score: float
    champion_version: str | None
    champion_score: float | None
    margin: float | None  # candidate better by (negative: worse), against champion or floor
    reason: str
    champion_metrics: Mapping[str, float] = dataclasses.field(default_factory=dict)

    @property
    def promoted(self) -> bool:
        return self.outcome == "promoted"

    @property
    def tied(self) -> bool:
        return self.outcome == "kept" and self.margin == 0

    @property
    def gate_passed(self) -> bool:
        """A champion is being served that won on this data: the candidate, or the kept one."""
        return self.outcome in ("promoted", "kept")

    @property
    def warning(self) -> str | None:
        """Why a passed gate still deserves a look (the candidate was kept out)."""
        return self.reason if self.outcome == "kept" else None

    def as_metadata(self) -> dict[str, Any]:
        return {
            "promoted": self.promoted,
            "gate_outcome": self.outcome,
            "gate_metric": self.metric,
            "candidate_version": self.candidate_version,
            "candidate_score": self.candidate_score,
            "champion_version": self.champion_version or "none",
            "champion_score": self.champion_score if self.champion_score is not None else "none",
            "margin": self.margin if self.margin is not None else "none",
            "promotion_reason": self.reason,
        }


@dataclasses.dataclass(frozen=True)
class LifecycleResult:
    """What one pass through the lifecycle left in MLflow."""

    run_id: str
    version: str
    decision: PromotionDecision


def run_lifecycle(tracking: MlflowTrackingResource, candidate: Candidate) -> LifecycleResult:
    """One MLflow run (parameters, metrics, model and artifacts), a new registered version, and
    the gate's decision on it; the run is marked FAILED when anything raises."""
    if not math.isfinite(candidate.score):
        raise ValueError(f"{candidate.model_name}: {candidate.gate.metric} is {candidate.score}")
    fail_dead_runs(tracking, candidate.experiment)
    run_id = tracking.start_run(
        candidate.experiment,
        run_name=candidate.run_name,
        params=candidate.params,
        tags={HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())},
    )
    try:
        log_inputs(tracking, run_id, candidate.inputs)
        tracking.log_metrics(run_id, candidate.metrics)
        with tempfile.TemporaryDirectory(prefix="hashira-lifecycle-") as tmp:
            folder = Path(tmp) / "model"
            folder.mkdir()
            candidate.write_model(folder)
            tracking.log_artifacts(run_id, folder, "model")
            for path, write in candidate.artifacts.items():
                extra = Path(tmp) / path
                extra.mkdir(parents=True)
                write(extra)
                tracking.log_artifacts(run_id, extra, path)
        version = tracking.register_version(
            candidate.model_name, run_id, "model", tags=candidate.version_tags
        )
        decision = gate_and_promote(tracking, candidate, version)
    except BaseException:
        tracking.end_run(run_id, status="FAILED")
        raise
    tracking.end_run(run_id)
    return LifecycleResult(run_id=run_id, version=version, decision=decision)


def score_champion(
    tracking: MlflowTrackingResource, candidate: Candidate, champion: str
) -> dict[str, float]:
    """The champion's metrics on the candidate's evaluation data; ChampionUnscorableError when
    its files fail their checksum, cannot be loaded, or lack the gate metric."""
    name = candidate.model_name
    try:
        with tempfile.TemporaryDirectory(prefix="hashira-champion-") as tmp:
            folder = tracking.download_version(name, champion, tmp)
            scored = {k: float(v) for k, v in candidate.evaluate_saved(folder).items()}
        score = scored[candidate.gate.metric]
        if not math.isfinite(score):
            raise ValueError(f"{candidate.gate.metric} is {score}")
    except Exception as exc:
        raise ChampionUnscorableError(
            f"{name} v{champion} (champion) cannot be scored on this run's evaluation data: "
            f"{type(exc).__name__}: {exc}. The champion is kept and nothing is promoted. If it "
            f"is meant to be replaced, promote a version by hand: hashira models promote {name} "
            "VERSION"
        ) from exc
    return scored


def gate_and_promote(
    tracking: MlflowTrackingResource, candidate: Candidate, version: str
) -> PromotionDecision:
    """Grade registered `version` against the champion and move the alias if it wins; the
    verdict is tagged on the version."""
    gate, name = candidate.gate, candidate.model_name
    client = tracking.client()
    try:
        with _gate_lock(tracking, name):
            decision = _decide_and_move_alias(tracking, candidate, version)
    except ChampionUnscorableError as exc:
        client.set_model_version_tag(name, version, "gate_outcome", "blocked")
        client.set_model_version_tag(name, version, "promotion", str(exc)[:4000])
        raise
    tags = {
        f"eval_{gate.metric}": str(candidate.score),
        "gate_outcome": decision.outcome,
        "promotion": decision.reason,
        "champion_version": decision.champion_version or "none",
    }
    if decision.champion_score is not None:
        tags["champion_score"] = str(decision.champion_score)
    tags.update({f"champion_{k}": str(v) for k, v in decision.champion_metrics.items()})
    if decision.margin is not None:
        tags["margin"] = f"{decision.margin:+.6f}"
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)
    return decision


def _decide_and_move_alias(
    tracking: MlflowTrackingResource, candidate: Candidate, version: str
) -> PromotionDecision:
    name = candidate.model_name
    for _ in range(MAX_GATE_ATTEMPTS):
        champion = tracking.champion_version(name)
        decision = _decide(tracking, candidate, version, champion)
        if decision.promoted:
            # A run on another machine (outside the lock) may have moved the alias meanwhile.
            if tracking.champion_version(name) != champion:
                continue
            tracking.set_champion(name, version)
        return decision
    raise RuntimeError(f"{name} v{version}: the champion kept changing under the gate")


@contextlib.contextmanager
def _gate_lock(tracking: MlflowTrackingResource, name: str) -> Iterator[None]:
    """One gate at a time per model and registry on this machine (an exclusive file lock under
    $HASHIRA_HOME): MLflow's alias has no compare-and-set."""
    key = hashlib.sha256(f"{tracking.resolved_tracking_uri()}|{name}".encode()).hexdigest()[:16]
    folder = settings.hashira_home() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"gate-{key}.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _decide(
    tracking: MlflowTrackingResource, candidate: Candidate, version: str, champion: str | None
) -> PromotionDecision:
    gate, score = candidate.gate, candidate.score
    common = {"metric": gate.metric, "candidate_version": version, "candidate_score": score}
    if champion is None or champion == version:
        if gate.floor is not None and not gate.beats(score, gate.floor):
            return PromotionDecision(
                outcome="rejected",
                champion_version=None,
                champion_score=None,
                margin=gate.margin(score, gate.floor),
                reason=f"{gate.metric} {score:.4f} does not beat the {gate.floor_name} "
                f"({gate.floor:.4f}); there is no champion to serve",
                **common,
            )
        return PromotionDecision(
            outcome="promoted",
            champion_version=None,
            champion_score=None,
            margin=None,
            reason="no champion yet",
            **common,
        )
    scored = score_champion(tracking, candidate, champion)
    champion_score = scored[gate.metric]
    margin = gate.margin(score, champion_score)
    common = {
        **common,
        "champion_version": champion,
        "champion_score": champion_score,
        "margin": margin,
        "champion_metrics": scored,
    }
    if gate.beats(score, champion_score):
        return PromotionDecision(
            outcome="promoted",
            reason=f"{gate.metric} {score:.4f} beats champion v{champion} ({champion_score:.4f}) "
            f"by {margin:.4f}",
            **common,
        )
    if margin == 0:
        reason = f"{gate.metric} {score:.4f} ties champion v{champion}; the champion is kept"
    else:
        reason = (
            f"{gate.metric} {score:.4f} does not beat champion v{champion} ({champion_score:.4f})"
            f" by more than {gate.min_delta:g}: margin {margin:+.4f}; the champion is kept"
        )
    return PromotionDecision(outcome="kept", reason=reason, **common)


def promote_by_hand(tracking: MlflowTrackingResource, name: str, version: str) -> str | None:
    """Make `version` the champion without a comparison (an operator's decision, e.g. after the
    gate refused an unscorable champion); its files are checked first. Returns the old
    champion."""
    previous = tracking.champion_version(name)
    with tempfile.TemporaryDirectory(prefix="hashira-promote-") as tmp:
        tracking.download_version(name, version, tmp)  # raises ModelIntegrityError
    client = tracking.client()
    client.set_model_version_tag(name, version, "gate_outcome", "promoted by hand")
    client.set_model_version_tag(
        name, version, "promotion", f"promoted by hand over v{previous or 'none'}"
    )
    tracking.set_champion(name, version)
    return previous


def version_rows(tracking: MlflowTrackingResource, name: str) -> list[dict[str, str]]:
    """Every registered version of `name`, newest first, with its gate verdict."""
    champion = tracking.champion_version(name)
    quoted = name.replace("'", "''")
    versions = tracking.client().search_model_versions(f"name = '{quoted}'")
    rows = []
    for v in sorted(versions, key=lambda v: int(v.version), reverse=True):
        tags = dict(v.tags or {})
        rows.append(
            {
                "version": str(v.version),
                "champion": "yes" if str(v.version) == champion else "",
                "outcome": tags.get("gate_outcome", ""),
                "margin": tags.get("margin", ""),
                "reason": tags.get("promotion", ""),
            }
        )
    return rows
