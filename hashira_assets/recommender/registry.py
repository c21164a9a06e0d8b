"""The recommender's model lifecycle: the registered folder (ranker and serving state), its
metrics and importance plot in MLflow, and the gate that re-scores a saved ranker."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from hashira_assets.recommender.candidates import FEATURE_NAMES, Shopper
from hashira_assets.recommender.metrics import evaluate_rankings
from hashira_assets.recommender.model import RecommenderModel
from hashira_assets.recommender.ranker import feature_importance, load_ranker, save_ranker
from hashira_assets.recommender.training import (
    GATE_METRIC,
    RECOMMENDER_MODEL_NAME,
    RecommenderSettings,
    TrainedRecommender,
    rank_customers,
)
from resources.lake import TableVersion
from resources.model_lifecycle import Candidate, Gate, LifecycleResult, run_lifecycle


def score_saved_ranker(folder: Path, trained: TrainedRecommender, names) -> dict[str, float]:
    """MAP@12 of a saved ranker on the same evaluation window; raises ValueError when it was
    built for another feature list (it cannot be scored on these candidates)."""
    return {GATE_METRIC: evaluate_booster(load_ranker(folder), trained, names)}


def evaluate_booster(booster: lgb.Booster, trained: TrainedRecommender, names) -> float:
    """MAP@12 of any ranker over the candidates of a training's evaluation window."""
    model = RecommenderModel(trained.eval_state, booster, names)
    customers = [c for c in sorted(trained.actual) if trained.eval_state.knows(c)]
    lists = rank_customers(model, customers)
    n_products = int(trained.eval_state.available.sum())
    return evaluate_rankings(trained.actual, lists, n_products, customers=customers)["map"]


def flat_metrics(trained: TrainedRecommender) -> dict[str, float]:
    """Every figure of a training as flat MLflow metric names."""
    out: dict[str, float] = {}
    for name, metrics in trained.results.items():
        for key, value in metrics.items():
            out[f"{name}_{key}"] = float(value)
    out.update({k: float(v) for k, v in trained.recalls.items()})
    out.update({k: float(v) for k, v in trained.exploration.items()})
    out.update({k: float(v) for k, v in trained.objective_choice.items()})
    out.update({k: float(v) for k, v in trained.summary().items() if np.isfinite(v)})
    out.update({k: float(v) for k, v in trained.timings.items()})
    out["train_rows"] = float(trained.train_rows)
    return out


def importance_plot(booster: lgb.Booster, path: Path, top: int = 25) -> None:
    """A bar chart of the ranker's features by total gain."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gains = list(feature_importance(booster).items())[:top][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(gains) + 1))
    ax.barh([g[0] for g in gains], [g[1] for g in gains], color="#2a6f97")
    ax.set_xlabel("total gain")
    ax.set_title("Recommender ranker: feature importance")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def save_model_folder(trained: TrainedRecommender, serving: RecommenderModel, folder: Path):
    """The registered artifact: the ranker (text + MLflow LightGBM flavour with a signature)
    and the serving state that request-time scoring needs."""
    import mlflow.lightgbm
    from mlflow.models import infer_signature

    save_ranker(trained.booster, trained.params, folder)
    serving.save(folder)
    rows = [
        serving.score(Shopper.known(serving.state, customer))[0].features[:20]
        for customer in sorted(trained.actual)[:5]
        if serving.state.knows(customer)
    ]
    example = pd.DataFrame(np.vstack(rows) if rows else np.zeros((1, len(FEATURE_NAMES))),
                           columns=FEATURE_NAMES)  # fmt: skip
    signature = infer_signature(example, trained.booster.predict(example.to_numpy()))
    mlflow.lightgbm.save_model(
        trained.booster,
        str(folder / "mlflow_model"),
        signature=signature,
        input_example=example.head(3),
        pip_requirements=[f"lightgbm=={lgb.__version__}"],
    )


def log_and_register(
    trained: TrainedRecommender,
    serving: RecommenderModel,
    settings: RecommenderSettings,
    mlflow_tracking,
    names,
    inputs: Sequence[TableVersion] = (),
) -> LifecycleResult:
    """The model lifecycle for one training: parameters, metrics, the importance plot and the
    model in MLflow; a new `hashira-recommender` version, champion only if it beats the current
    one's MAP@12 on the same evaluation window."""

    def write_evaluation(folder: Path) -> None:
        importance_plot(trained.booster, folder / "feature_importance.png")
        (folder / "metrics.json").write_text(json.dumps(trained.results, indent=2))

    candidate = Candidate(
        model_name=RECOMMENDER_MODEL_NAME,
        experiment="recommender",
        gate=Gate(GATE_METRIC),
        params={
            **dataclasses.asdict(settings),
            "chosen_objective": trained.params.objective,
            "eval_start_day": trained.eval_state.cutoff_day,
            "battle_fit_version": (win.version if (win := trained.eval_state.win_chance) else ""),
        },
        metrics={**flat_metrics(trained), GATE_METRIC: trained.model_map},
        write_model=lambda folder: save_model_folder(trained, serving, folder),
        evaluate_saved=lambda folder: score_saved_ranker(folder, trained, names),
        artifacts={"evaluation": write_evaluation},
        inputs=inputs,
    )
    return run_lifecycle(mlflow_tracking, candidate)
