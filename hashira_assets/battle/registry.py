"""The battle-fit model's MLflow run, registry version and promotion gate."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path

from hashira_assets.battle.model import BattleFitModel, IncompatibleModelError, find_model_dir
from hashira_assets.battle.training import (
    BATTLE_MODEL_NAME,
    BattleSettings,
    TrainedBattleModel,
    flat_metrics,
    score_frame,
)
from resources.mlflow_tracking import PromotionDecision

# Log loss is the gate: a proper score, it rewards both ranking battles right and calibrated
# odds. AUC of champion and candidate on the same battles is tagged beside it.
GATE_METRIC = "logloss"


@dataclasses.dataclass(frozen=True)
class BattleRegistration:
    """What one training run left in MLflow."""

    run_id: str
    version: str
    decision: PromotionDecision
    metrics: dict[str, float]
    champion_auc: float | None


def score_saved_model(folder: Path, trained: TrainedBattleModel) -> dict[str, float] | None:
    """A saved model's metrics on the candidate's evaluation battles; None if it was built on
    other features."""
    try:
        model = BattleFitModel.load(find_model_dir(folder))
    except IncompatibleModelError:
        return None
    return score_frame(model, trained.split.evaluation)


def log_and_register(
    trained: TrainedBattleModel, settings: BattleSettings, mlflow_tracking
) -> BattleRegistration:
    """One MLflow run with parameters, every ranking's metrics and the model; a new
    `hashira-battle-fit` version that becomes champion only if its log loss beats the current
    champion's on the same evaluation battles."""
    params = {**dataclasses.asdict(settings), "eval_start": str(trained.split.eval_start)}
    run_id = mlflow_tracking.start_run("battle-fit", run_name="train", params=params)
    metrics = flat_metrics(trained)
    champion_scores: dict[str, float] = {}
    try:
        mlflow_tracking.log_metrics(run_id, metrics)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "model"
            trained.model.save(folder)
            report = Path(tmp) / "evaluation"
            report.mkdir()
            (report / "metrics.json").write_text(
                json.dumps({"results": trained.results, "ranking": trained.ranking}, indent=2)
            )
            mlflow_tracking.log_artifacts(run_id, folder, "model")
            mlflow_tracking.log_artifacts(run_id, report, "evaluation")
        version = mlflow_tracking.register_version(BATTLE_MODEL_NAME, run_id, "model")

        def evaluate_champion(champion: str) -> float | None:
            with tempfile.TemporaryDirectory() as tmp:
                local = mlflow_tracking.download_version(BATTLE_MODEL_NAME, champion, tmp)
                scored = score_saved_model(local, trained)
            if scored is None:
                return None
            champion_scores.update(scored)
            return scored[GATE_METRIC]

        decision = mlflow_tracking.promote_if_better(
            BATTLE_MODEL_NAME,
            version,
            metric=GATE_METRIC,
            candidate_score=trained.logloss,
            evaluate_champion=evaluate_champion,
            higher_is_better=False,
        )
        client = mlflow_tracking.client()
        client.set_model_version_tag(BATTLE_MODEL_NAME, version, "eval_auc", str(trained.auc))
        if "auc" in champion_scores:
            client.set_model_version_tag(
                BATTLE_MODEL_NAME, version, "champion_auc", str(champion_scores["auc"])
            )
    except BaseException:
        mlflow_tracking.end_run(run_id, status="FAILED")
        raise
    mlflow_tracking.end_run(run_id)
    return BattleRegistration(
        run_id=run_id,
        version=version,
        decision=decision,
        metrics=metrics,
        champion_auc=champion_scores.get("auc"),
    )
