"""The shared model lifecycle on a toy model: the gate's meaning, an unscorable champion,
concurrent retrains, promotion by hand."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hashira_cli.main import app
from resources.mlflow_tracking import MlflowTrackingResource
from resources.model_lifecycle import (
    Candidate,
    ChampionUnscorableError,
    Gate,
    run_lifecycle,
)
from tests.support.gate import assert_gate_both_ways

NAME = "hashira-toy"


@pytest.fixture
def tracking(tmp_path, monkeypatch) -> MlflowTrackingResource:
    monkeypatch.setenv("HASHIRA_HOME", str(tmp_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    return MlflowTrackingResource(artifact_root=(tmp_path / "art").as_uri())


def read_skill(folder: Path) -> dict[str, float]:
    """The toy model's evaluation: its accuracy is the skill written in its file."""
    return {"accuracy": float((folder / "skill.txt").read_text())}


def toy(skill: float, gate: Gate | None = None, evaluate=read_skill) -> Candidate:
    return Candidate(
        model_name=NAME,
        experiment="toy",
        gate=gate or Gate("accuracy"),
        params={"skill": skill},
        metrics={"accuracy": skill},
        write_model=lambda folder: (folder / "skill.txt").write_text(repr(skill)),
        evaluate_saved=evaluate,
    )


def test_the_gate_both_ways_with_a_tie(tracking):
    results = assert_gate_both_ways(
        tracking,
        NAME,
        register_worse=lambda: run_lifecycle(tracking, toy(0.6)),
        register_better=lambda: run_lifecycle(tracking, toy(0.8)),
    )
    assert results[3].decision.margin == pytest.approx(-0.2)
    run = tracking.client().get_run(results[2].run_id)
    assert run.info.status == "FINISHED" and run.data.metrics["accuracy"] == 0.8


def test_lower_is_better_and_a_minimum_gain(tracking):
    gate = Gate("accuracy", higher_is_better=False, min_delta=0.05)
    run_lifecycle(tracking, toy(0.5, gate))
    small_gain = run_lifecycle(tracking, toy(0.47, gate))
    assert small_gain.decision.outcome == "kept"
    assert small_gain.decision.margin == pytest.approx(0.03)
    big_gain = run_lifecycle(tracking, toy(0.40, gate))
    assert big_gain.decision.promoted


def test_a_first_candidate_below_its_floor_is_rejected_and_fails_the_gate(tracking):
    gate = Gate("accuracy", floor=0.7, floor_name="lead baseline")
    result = run_lifecycle(tracking, toy(0.6, gate))
    assert result.decision.outcome == "rejected" and not result.decision.gate_passed
    assert "lead baseline" in result.decision.reason
    assert tracking.champion_version(NAME) is None
    assert run_lifecycle(tracking, toy(0.75, gate)).decision.promoted


def test_an_unscorable_champion_fails_closed(tracking):
    champion = run_lifecycle(tracking, toy(0.9)).version

    def breaks(folder: Path) -> dict[str, float]:
        raise ValueError("built for another feature list")

    with pytest.raises(ChampionUnscorableError, match="another feature list") as caught:
        run_lifecycle(tracking, toy(0.95, evaluate=breaks))
    assert "hashira models promote hashira-toy" in str(caught.value)
    assert tracking.champion_version(NAME) == champion
    client = tracking.client()
    blocked = client.get_model_version(NAME, "2")
    assert blocked.tags["gate_outcome"] == "blocked"
    assert client.get_run(blocked.run_id).info.status == "FAILED"


def test_a_champion_whose_files_changed_fails_closed(tracking, tmp_path):
    run_lifecycle(tracking, toy(0.9))
    stored = next((tmp_path / "art").rglob("skill.txt"))
    stored.write_text("0.1")  # a worse champion, if it were believed
    with pytest.raises(ChampionUnscorableError, match="checksum mismatch"):
        run_lifecycle(tracking, toy(0.5))
    assert tracking.champion_version(NAME) == "1"


def test_two_concurrent_retrains_each_grade_their_own_version(tracking):
    run_lifecycle(tracking, toy(0.5))
    start = threading.Barrier(2)
    results = {}

    def retrain(skill: float) -> None:
        start.wait()
        results[skill] = run_lifecycle(tracking, toy(skill))

    threads = [threading.Thread(target=retrain, args=(s,)) for s in (0.7, 0.8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    a, b = results[0.7], results[0.8]
    assert {a.version, b.version} == {"2", "3"}
    assert tracking.champion_version(NAME) == b.version  # the better one, whichever ran first
    client = tracking.client()
    for result in (a, b):
        assert result.decision.candidate_version == result.version
        tags = client.get_model_version(NAME, result.version).tags
        assert tags["gate_outcome"] == result.decision.outcome
        assert tags["champion_version"] == result.decision.champion_version
    # The gates ran one at a time: the second graded against the first one's outcome.
    if b.decision.champion_version == a.version:  # 0.7 was graded first
        assert a.decision.promoted and a.decision.champion_version == "1"
        assert b.decision.promoted
    else:  # 0.8 first, then 0.7 is kept out against it
        assert b.decision.promoted and b.decision.champion_version == "1"
        assert a.decision.outcome == "kept" and a.decision.champion_version == b.version


def test_promotion_by_hand_checks_the_files_and_lists_versions(tracking):
    run_lifecycle(tracking, toy(0.9))
    run_lifecycle(tracking, toy(0.4))
    runner = CliRunner()
    out = runner.invoke(app, ["models", "promote", NAME, "2"])
    assert out.exit_code == 0, out.output
    assert "champion v2 (was v1)" in out.output
    assert tracking.champion_version(NAME) == "2"
    listing = runner.invoke(app, ["models", "list", NAME])
    assert listing.exit_code == 0
    assert listing.output.splitlines()[0].startswith("* v2")
    assert "promoted by hand over v1" in listing.output
    missing = runner.invoke(app, ["models", "promote", NAME, "9"])
    assert missing.exit_code == 2 and "not registered" in missing.output
