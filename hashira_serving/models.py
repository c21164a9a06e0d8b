"""Champion models in the MLflow registry and the Dagster instance's view of the asset groups."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

import pandas as pd

from hashira_serving.cache import forever

_groups = forever(max_entries=1)

MODELS = {
    "hashira-recommender": "Recommender",
    "hashira-forecaster": "Sales forecaster",
    "hashira-summarizer": "Conversation summarizer",
    "hashira-battle-fit": "Battle-fit weapon model",
    "hashira-slayer-portraits": "Slayer portrait model",
}


@dataclasses.dataclass(frozen=True)
class ChampionInfo:
    """The champion version of one registered model and its training run's metrics."""

    name: str
    version: str | None
    run_id: str | None = None
    registered_at: dt.datetime | None = None
    versions: int = 0
    metrics: Mapping[str, float] = dataclasses.field(default_factory=dict)


def champion_info(tracking, name: str) -> ChampionInfo:
    """The champion of `name` (version None when nothing is promoted yet)."""
    from mlflow.exceptions import MlflowException

    version = tracking.champion_version(name)
    if version is None:
        return ChampionInfo(name, None)
    client = tracking.client()
    model_version = client.get_model_version(name, version)
    try:
        versions = len(client.search_model_versions(f"name = '{_quoted(name)}'"))
    except MlflowException:
        versions = 0
    run = client.get_run(model_version.run_id)
    return ChampionInfo(
        name=name,
        version=version,
        run_id=model_version.run_id,
        registered_at=dt.datetime.fromtimestamp(model_version.creation_timestamp / 1000, dt.UTC),
        versions=versions,
        metrics=dict(run.data.metrics),
    )


def _quoted(name: str) -> str:
    return name.replace("'", "''")


RECOMMENDER_SYSTEMS = {
    "model": "ranker (champion)",
    "popularity_repurchase": "baseline: decayed popularity + repurchase",
    "als": "baseline: ALS",
    "top_popular": "baseline: top popular",
    "oracle": "oracle (the generator's truth)",
}
RECOMMENDER_MEASURES = {"map": "MAP@12", "recall": "recall@12", "ndcg": "NDCG@12",
                        "coverage": "coverage", "cold_map": "cold-start MAP@12"}  # fmt: skip


def recommender_comparison(metrics: Mapping[str, float]) -> pd.DataFrame:
    """MAP@12, recall@12, NDCG@12 and coverage of the ranker beside its baselines and the oracle
    (the training run logs them as `<system>_<measure>`)."""
    rows = {
        label: {
            title: metrics.get(f"{system}_{measure}")
            for measure, title in RECOMMENDER_MEASURES.items()
        }
        for system, label in RECOMMENDER_SYSTEMS.items()
        if f"{system}_map" in metrics
    }
    return pd.DataFrame.from_dict(rows, orient="index")


SUMMARY_FIGURES = ("rouge1", "rouge2", "rougeL", "category_accuracy", "faithfulness")


def summarizer_comparison(metrics: Mapping[str, float]) -> pd.DataFrame:
    """ROUGE, category accuracy and faithfulness of the trained summarizer and of the extractive
    baseline on both held-out sets (new wording; new agents and issue mixes)."""
    rows = {
        f"{label}, {name}": {m: metrics.get(f"{prefix}_{name}_{m}") for m in SUMMARY_FIGURES}
        for name in ("phrasing", "agents")
        for label, prefix in (("trained model", "heldout"), ("extractive baseline", "baseline"))
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def battle_fit_comparison(metrics: Mapping[str, float]) -> pd.DataFrame:
    """AUC, log loss, Brier score and calibration error of the battle-fit model beside its
    baselines and the generator's true odds, on the same evaluation battles."""
    rows = {
        label: {m: metrics.get(f"{prefix}{m}") for m in ("auc", "logloss", "brier", "ece")}
        for label, prefix in (
            ("model (champion)", ""),
            ("baseline: logistic regression", "logistic_"),
            ("baseline: style-match rule", "style_rule_"),
            ("oracle (the true odds)", "oracle_"),
        )
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def portrait_comparison(metrics: Mapping[str, float]) -> pd.DataFrame:
    """How often the judge recognizes the requested weapon and style: in the champion's
    portraits, in fresh renders (its ceiling) and in unconditional samples (chance)."""
    rows = {
        label: {
            "weapon": metrics.get(f"{prefix}_weapon_accuracy"),
            "style": metrics.get(f"{prefix}_style_accuracy"),
        }
        for label, prefix in (
            ("portraits (champion)", "generated"),
            ("renders (the judge's ceiling)", "real"),
            ("unconditional samples (chance)", "unconditional"),
        )
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def forecaster_comparison(metrics: Mapping[str, float]) -> pd.DataFrame:
    """Per level: the reconciled forecast's MASE, its ratio to seasonal naive, and coverage."""
    rows = {}
    for level in ("product", "category", "total"):
        rows[level] = {
            "MASE": metrics.get(f"{level}/reconciled/mase"),
            "seasonal naive MASE": metrics.get(f"{level}/seasonal_naive/mase"),
            "relative MASE": metrics.get(f"{level}/reconciled/relative_mase"),
            "80% coverage": metrics.get(f"{level}/reconciled/coverage_80"),
            "95% coverage": metrics.get(f"{level}/reconciled/coverage_95"),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def group_freshness(
    groups: Mapping, materialized_at: Mapping, now: dt.datetime | None = None
) -> pd.DataFrame:
    """Per asset group: assets, how many were ever materialized, the last time and its age.

    `groups` maps asset key -> group; `materialized_at` maps asset key -> a UTC datetime (keys
    never materialized are absent)."""
    now = now or dt.datetime.now(dt.UTC)
    rows: dict[str, dict] = {}
    for key, group in groups.items():
        row = rows.setdefault(group, {"assets": 0, "materialized": 0, "last": None})
        row["assets"] += 1
        when = materialized_at.get(key)
        if when is not None:
            row["materialized"] += 1
            row["last"] = when if row["last"] is None else max(row["last"], when)
    frame = pd.DataFrame.from_dict(rows, orient="index").sort_index()
    frame["age"] = [None if pd.isna(last) else age_text(now - last) for last in frame["last"]]
    return frame


def age_text(delta: dt.timedelta) -> str:
    """'3 min', '5 h', '2 d' — how long ago, at a glance."""
    seconds = max(delta.total_seconds(), 0)
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def last_materializations(instance, keys) -> dict:
    """Asset key -> time of its latest materialization, read from the Dagster instance."""
    out = {}
    for record in instance.get_asset_records(list(keys)):
        entry = record.asset_entry
        event = entry.last_materialization_record
        if event is not None:
            out[entry.asset_key] = dt.datetime.fromtimestamp(event.timestamp, dt.UTC)
    return out


# ---------------------------------------------------------------------------------- status
def champions(tracking=None) -> list[ChampionInfo]:
    """The champion of every registered model the shop serves."""
    from hashira_serving.context import mlflow

    tracking = tracking or mlflow()
    return [champion_info(tracking, name) for name in MODELS]


def asset_groups() -> dict:
    """Asset key -> group name, from the project's definitions (built once per process)."""

    def load() -> dict:
        from hashira_assets.definitions import defs

        graph = defs.resolve_asset_graph()
        return {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}

    return _groups.get("groups", load)


def pipeline_freshness() -> pd.DataFrame | None:
    """Per asset group: assets, how many were materialized and when; None without DAGSTER_HOME."""
    from hashira_assets.lakehouse import dagster_instance

    groups = asset_groups()
    instance = dagster_instance()
    if instance is None:
        return None
    with instance:
        materialized = last_materializations(instance, groups.keys())
    return group_freshness(groups, materialized)


def pipeline_failures(limit: int = 20) -> pd.DataFrame:
    from hashira_serving.context import app_db

    return app_db().pipeline_failures(limit=limit)
