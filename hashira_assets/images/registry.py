"""The portrait model through the shared model lifecycle, and loading its champion."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from hashira_assets.images.diffusion import PortraitDiffusion, find_model_dir
from hashira_assets.images.training import (
    PORTRAIT_MODEL_NAME,
    ImageModelSettings,
    TrainedImageModel,
    score_model,
)
from resources.model_lifecycle import Candidate, Gate, LifecycleResult, run_lifecycle

# The mean of weapon and style accuracy of the generated portraits, as the judge sees them.
GATE_METRIC = "conditional_accuracy"
# Sampling settings travel with the model, so serving draws portraits as they were scored.
SAMPLING_FILE = "sampling.json"


def write_model(trained: TrainedImageModel, folder: Path) -> None:
    trained.model.save(folder)
    s = trained.evaluation.settings
    sampling = {"steps": s.sample_steps, "guidance": s.guidance, "eta": s.sample_eta}
    (folder / SAMPLING_FILE).write_text(json.dumps(sampling, indent=2))


def log_and_register(
    trained: TrainedImageModel, settings: ImageModelSettings, mlflow_tracking
) -> LifecycleResult:
    """The model and its figures in MLflow, a new version, and the gate: champion only if its
    portraits are recognized more often than the champion's (by this run's judge), and a first
    champion only if it beats unconditional samples (chance)."""
    metrics = trained.metrics
    floor = metrics["unconditional_accuracy"]

    def write_losses(folder: Path) -> None:
        (folder / "losses.json").write_text(json.dumps(trained.losses))

    candidate = Candidate(
        model_name=PORTRAIT_MODEL_NAME,
        experiment="slayer-portraits",
        gate=Gate(GATE_METRIC, higher_is_better=True, floor=floor, floor_name="unconditional"),
        params={**dataclasses.asdict(settings), "channels": str(settings.channels)},
        metrics=metrics,
        write_model=lambda folder: write_model(trained, folder),
        evaluate_saved=lambda folder: score_model(
            PortraitDiffusion.load(find_model_dir(folder)), trained.evaluation
        ),
        artifacts={"training": write_losses},
        version_tags={"parameters": str(int(metrics["parameters"]))},
    )
    return run_lifecycle(mlflow_tracking, candidate)


def load_sampling(folder: Path) -> dict:
    """A saved model's sampling settings (steps, guidance, eta)."""
    return json.loads((find_model_dir(folder) / SAMPLING_FILE).read_text())
