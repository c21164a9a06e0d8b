"""The `recommender` group: the trained, gated ranker and every customer's recommendations."""

import tempfile
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)
from pydantic import Field

from hashira_assets.battle.registry import load_battle_champion
from hashira_assets.gate import gate_check_result, gate_check_spec
from hashira_assets.lake.versions import inputs_table, table_versions
from hashira_assets.metadata import markdown_table
from hashira_assets.priorities import SHOP_FIRST
from hashira_assets.raw.world_resource import SyntheticWorldResource
from hashira_assets.recommender.battle_fit import WinChance
from hashira_assets.recommender.cutoff_tables import TABLE_NAMES
from hashira_assets.recommender.data import SHOP_INPUTS, load_shop_data
from hashira_assets.recommender.recommendations import (
    customers_with_problems,
    preview_recommendations,
    read_recommendations,
    recommendations_path,
    write_all_recommendations,
)
from hashira_assets.recommender.registry import log_and_register
from hashira_assets.recommender.serving import load_champion
from hashira_assets.recommender.training import (
    BASELINE_NAMES,
    RECOMMENDER_MODEL_NAME,
    RecommenderSettings,
    serving_model,
    train_recommender,
)
from resources.lake import LakeResource
from resources.mlflow_tracking import MlflowTrackingResource


class RecommenderTrainingConfig(Config):
    train_weeks: int = Field(default=4, description="Weeks of labelled history before the window.")
    objective: str = Field(default="auto", description="lambdarank, binary or auto.")
    n_estimators: int = Field(default=300, description="Boosting rounds of the ranker.")
    description_embeddings: bool = Field(
        default=True, description="Add MiniLM description embeddings to the content vectors."
    )
    seed: int = Field(default=0, description="Seed of ALS and LightGBM.")
    battle_fit_feature: bool = Field(
        default=True,
        description="Give the ranker the champion battle-fit model's win chance of each weapon "
        "(missing when off, or before the first battle-fit champion).",
    )


def _metrics_table(results: dict) -> str:
    rows = [
        {"ranking": name, **{k: round(v, 4) for k, v in m.items()
                             if k in ("map", "recall", "ndcg", "coverage", "cold_map",
                                      "new_items_recall")}}
        for name, m in results.items()
    ]  # fmt: skip
    return markdown_table(rows)


@asset(
    deps=[
        *TABLE_NAMES,
        "silver_interaction_events",
        "silver_customers",
        "silver_products",
        "promotions",
        "oracle_top_products",
        "battle_fit_model",
    ],
    group_name="recommender",
    kinds={"lightgbm", "mlflow"},
    check_specs=[gate_check_spec("recommender_model")],
    op_tags=SHOP_FIRST,
)
def recommender_model(
    context: AssetExecutionContext,
    config: RecommenderTrainingConfig,
    world: SyntheticWorldResource,
    lake: LakeResource,
    mlflow_tracking: MlflowTrackingResource,
) -> MaterializeResult:
    """LightGBM ranker over multi-source candidates, scored against baselines and the oracle on
    the last 7 days, registered as `hashira-recommender`; champion only if it beats the old one."""
    settings = RecommenderSettings(
        train_weeks=config.train_weeks,
        objective=config.objective,
        n_estimators=config.n_estimators,
        description_embeddings=config.description_embeddings,
        seed=config.seed,
    )
    inputs = table_versions(lake, world.path, SHOP_INPUTS)
    data = load_shop_data(lake, world.path)
    win_chance = None
    if config.battle_fit_feature:
        with tempfile.TemporaryDirectory() as tmp:
            champion = load_battle_champion(mlflow_tracking, Path(tmp))
        if champion is None:
            context.log.warning("no battle-fit champion yet: the win-chance feature is missing")
        else:
            win_chance = WinChance(*champion, data.products)
    trained = train_recommender(
        data, world.path, settings, progress=context.log.info, win_chance=win_chance
    )
    serving = serving_model(data, trained, settings)
    report = log_and_register(
        trained, serving, settings, mlflow_tracking, data.products["name"], inputs
    )
    decision = report.decision
    context.log.info(f"{RECOMMENDER_MODEL_NAME} v{report.version}: {decision.reason}")
    summary = trained.summary()
    return MaterializeResult(
        metadata={
            "mlflow_run_id": report.run_id,
            "model_name": RECOMMENDER_MODEL_NAME,
            "model_version": report.version,
            "objective": trained.params.objective,
            "battle_fit_version": win_chance.version if win_chance else "none",
            "inputs": MetadataValue.md(inputs_table(inputs)),
            "train_rows": trained.train_rows,
            "map12": round(trained.model_map, 4),
            **{f"{b}_map12": round(trained.results[b]["map"], 4) for b in BASELINE_NAMES},
            "oracle_map12": round(trained.results.get("oracle", {}).get("map", float("nan")), 4),
            **{k: round(v, 4) for k, v in summary.items()},
            "metrics": MetadataValue.md(_metrics_table(trained.results)),
            **decision.as_metadata(),
        },
        check_results=[gate_check_result(decision, context.log.warning)],
    )


@asset(deps=[recommender_model], group_name="recommender", kinds={"parquet"}, op_tags=SHOP_FIRST)
def user_recommendations(
    context: AssetExecutionContext, mlflow_tracking: MlflowTrackingResource
) -> MaterializeResult:
    """Top-12 products for every customer from the champion ranker, with score, rank, reason and
    one exploration slot drawn per customer and day."""
    path = recommendations_path()
    with tempfile.TemporaryDirectory() as tmp:
        champion = load_champion(mlflow_tracking, tmp)
        written = write_all_recommendations(
            champion.model, champion.version, path, champion.folder, progress=context.log.info
        )
        state_mib = champion.state_bytes / 2**20
    preview = preview_recommendations(path)
    return MaterializeResult(
        metadata={
            "dagster/row_count": written.rows,
            "customers": written.customers,
            "workers": written.workers,
            "seconds": round(written.seconds, 1),
            "model_version": champion.version,
            "serving_state_mib": round(state_mib, 1),
            "path": MetadataValue.path(str(path)),
            "preview": MetadataValue.md(markdown_table(preview)),
        }
    )


@asset_check(asset=user_recommendations)
def twelve_distinct_products_per_customer() -> AssetCheckResult:
    """Every customer has exactly 12 distinct recommended products ranked 1-12."""
    table = read_recommendations(recommendations_path(), ["customer_id", "product_id", "rank"])
    customers, bad = customers_with_problems(table)
    return AssetCheckResult(
        passed=bad == 0 and customers > 0,
        metadata={"customers": customers, "customers_with_problems": bad},
    )
