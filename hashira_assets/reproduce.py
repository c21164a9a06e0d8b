"""Reproducing a registered model version: the same data, the same settings, the same metric.

A version records the content versions of its input tables (MLflow dataset inputs) and its
settings (MLflow parameters). `reproduce` checks that every input is still at its recorded
version, retrains with the recorded settings (nothing is logged or registered), and compares the
gate metric with the recorded one. The lake keeps no old versions (no Iceberg or Delta here), so
when an input has changed since, it says which and stops rather than retrain on other data.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hashira_assets.lake.versions import changed_tables, table_versions
from resources.lake import LakeResource
from resources.model_runs import recorded_inputs

Progress = Callable[[str], None]

MODEL_NAMES = {
    "recommender": "hashira-recommender",
    "forecaster": "hashira-forecaster",
    "summarizer": "hashira-summarizer",
    "battle-fit": "hashira-battle-fit",
}


class CannotReproduceError(RuntimeError):
    """The version cannot be retrained from the same data (the message says why)."""


@dataclasses.dataclass(frozen=True)
class Reproduction:
    """A recorded gate metric beside the one a retraining from the same data scored."""

    model_name: str
    version: str
    metric: str
    recorded: float
    reproduced: float
    inputs: dict[str, str]

    @property
    def exact(self) -> bool:
        return self.recorded == self.reproduced


def model_name(model: str) -> str:
    """The registered name of a model given by short or full name."""
    if model in MODEL_NAMES.values():
        return model
    if model not in MODEL_NAMES:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODEL_NAMES)}")
    return MODEL_NAMES[model]


def settings_from_params(cls, params: dict[str, str], **overrides):
    """A settings dataclass back from its MLflow parameters (strings), typed by its defaults."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.name in overrides or field.name not in params:
            continue
        text = params[field.name]
        default = field.default
        if text == "None":
            values[field.name] = None
        elif isinstance(default, bool):
            values[field.name] = text == "True"
        elif isinstance(default, int):
            values[field.name] = int(text)
        elif isinstance(default, float):
            values[field.name] = float(text)
        elif default is None:  # an optional number
            values[field.name] = int(text) if text.lstrip("-").isdigit() else float(text)
        else:
            values[field.name] = text
    return cls(**values, **overrides)


def _recommender(params, lake, raw_dir, tracking, progress) -> tuple[str, float]:
    from hashira_assets.battle.model import BattleFitModel, find_model_dir
    from hashira_assets.recommender.battle_fit import WinChance
    from hashira_assets.recommender.data import load_shop_data
    from hashira_assets.recommender.training import (
        GATE_METRIC,
        RecommenderSettings,
        train_recommender,
    )

    settings = settings_from_params(RecommenderSettings, params)
    data = load_shop_data(lake, raw_dir)
    win_chance = None
    if params.get("battle_fit_version"):
        # The battle-fit version this ranker's win-chance feature came from, files checked.
        version = params["battle_fit_version"]
        with tempfile.TemporaryDirectory() as tmp:
            folder = tracking.download_version(MODEL_NAMES["battle-fit"], version, tmp)
            model = BattleFitModel.load(find_model_dir(folder))
        win_chance = WinChance(model, version, data.products)
    trained = train_recommender(data, raw_dir, settings, progress, win_chance)
    return GATE_METRIC, trained.model_map


def _battle_fit(params, lake, raw_dir, tracking, progress) -> tuple[str, float]:
    from hashira_assets.battle.data import load_battle_data
    from hashira_assets.battle.registry import GATE_METRIC
    from hashira_assets.battle.training import BattleSettings, train_battle_model

    settings = settings_from_params(BattleSettings, params)
    data = load_battle_data(lake)
    trained = train_battle_model(data.battles, data.customers, data.products, settings, progress)
    return GATE_METRIC, trained.results["model"][GATE_METRIC]


def _summarizer(params, lake, raw_dir, tracking, progress) -> tuple[str, float]:
    from hashira_assets.assistant.neural_summarizer import NeuralSettings
    from hashira_assets.assistant.summarizer_training import (
        PROMOTION_METRIC,
        SummarizerBudget,
        fit_and_score,
    )

    settings = settings_from_params(NeuralSettings, params)
    budget = SummarizerBudget(settings, int(params["eval_per_set"]))
    fitted = fit_and_score(raw_dir, budget, int(params["seed"]), progress)
    return PROMOTION_METRIC, fitted.scores["phrasing"][PROMOTION_METRIC]


def _forecaster(params, lake, raw_dir, tracking, progress) -> tuple[str, float]:
    from hashira_assets.forecast.series import LEVELS, load_oracle_units, load_sales_series
    from hashira_assets.forecast.settings import PROMOTION_METRIC, ForecastSettings
    from hashira_assets.forecast.training import backtest_all

    candidates = {level: tuple(params[f"candidates_{level}"].split(",")) for level in LEVELS}
    settings = settings_from_params(ForecastSettings, params, candidates=candidates)
    series = load_sales_series(lake)
    report = backtest_all(series, settings, load_oracle_units(lake, series), progress)
    return PROMOTION_METRIC, report.holdout_score


RETRAINERS = {
    "hashira-recommender": _recommender,
    "hashira-battle-fit": _battle_fit,
    "hashira-summarizer": _summarizer,
    "hashira-forecaster": _forecaster,
}


def reproduce(
    model: str,
    version: str,
    tracking,
    lake: LakeResource,
    raw_dir: Path,
    progress: Progress | None = None,
) -> Reproduction:
    """Retrain `model` v`version` from its recorded inputs and settings and score it the same
    way; CannotReproduceError when an input has changed or was never recorded."""
    name = model_name(model)
    inputs = recorded_inputs(tracking, name, version)
    if not inputs:
        raise CannotReproduceError(
            f"{name} v{version} records no input table versions (it was trained before data "
            "versions were recorded)"
        )
    changed = changed_tables(inputs, table_versions(lake, raw_dir, list(inputs)))
    if changed:
        raise CannotReproduceError(
            f"{name} v{version} was trained on data that has changed since; the lake keeps no "
            "old versions, so it cannot be retrained on the same data:\n  " + "\n  ".join(changed)
        )
    client = tracking.client()
    run = client.get_run(client.get_model_version(name, str(version)).run_id)
    metric, reproduced = RETRAINERS[name](
        dict(run.data.params), lake, raw_dir, tracking, progress or (lambda _: None)
    )
    recorded = run.data.metrics.get(metric)
    if recorded is None or not math.isfinite(recorded):
        raise CannotReproduceError(f"{name} v{version} has no recorded {metric}")
    return Reproduction(name, str(version), metric, recorded, float(reproduced), inputs)
