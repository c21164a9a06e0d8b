"""The battle-fit model through the shared model lifecycle."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from hashira_assets.battle.model import BattleFitModel, find_model_dir
from hashira_assets.battle.training import (
    BATTLE_MODEL_NAME,
    BattleSettings,
    TrainedBattleModel,
    flat_metrics,
    score_frame,
)
from resources.lake import TableVersion
from resources.model_lifecycle import Candidate, Gate, LifecycleResult, run_lifecycle

# Log loss is the gate: a proper score, it rewards both ranking battles right and calibrated
# odds. AUC of champion and candidate on the same battles is tagged beside it.
GATE_METRIC = "logloss"


def score_saved_model(folder: Path, trained: TrainedBattleModel) -> dict[str, float]:
    """A saved model's metrics on the candidate's evaluation battles; raises
    IncompatibleModelError when it was built on other features."""
    model = BattleFitModel.load(find_model_dir(folder))
    return score_frame(model, trained.split.evaluation)


def log_and_register(
    trained: TrainedBattleModel,
    settings: BattleSettings,
    mlflow_tracking,
    inputs: Sequence[TableVersion] = (),
) -> LifecycleResult:
    """The model lifecycle for one training: every ranking's metrics and the model in MLflow; a
    new `hashira-battle-fit` version, champion only if its log loss beats the current
    champion's on the same evaluation battles."""

    def write_evaluation(folder: Path) -> None:
        report = {"results": trained.results, "ranking": trained.ranking}
        (folder / "metrics.json").write_text(json.dumps(report, indent=2))

    candidate = Candidate(
        model_name=BATTLE_MODEL_NAME,
        experiment="battle-fit",
        gate=Gate(GATE_METRIC, higher_is_better=False),
        params={**dataclasses.asdict(settings), "eval_start": str(trained.split.eval_start)},
        metrics=flat_metrics(trained),
        write_model=trained.model.save,
        evaluate_saved=lambda folder: score_saved_model(folder, trained),
        artifacts={"evaluation": write_evaluation},
        version_tags={"eval_auc": str(trained.auc)},
        inputs=inputs,
    )
    return run_lifecycle(mlflow_tracking, candidate)


def load_battle_champion(mlflow_tracking, folder: Path) -> tuple[BattleFitModel, str] | None:
    """The champion battle-fit model and its version (files checked), or None before the first
    one; raises IncompatibleModelError for a champion built on other features."""
    version = mlflow_tracking.champion_version(BATTLE_MODEL_NAME)
    if version is None:
        return None
    local = mlflow_tracking.download_version(BATTLE_MODEL_NAME, version, folder)
    return BattleFitModel.load(find_model_dir(local)), version
