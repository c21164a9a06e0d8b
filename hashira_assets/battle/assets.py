"""The `battle` group: the gated battle-fit model of which weapon wins a slayer's battles."""

from dagster import (
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from hashira_assets.battle.data import BATTLE_INPUTS, load_battle_data
from hashira_assets.gate import gate_check_result, gate_check_spec
from hashira_assets.lake.versions import inputs_table, table_versions
from hashira_assets.metadata import markdown_table
from hashira_assets.priorities import SHOP_FIRST
from resources.lake import LakeResource
from resources.mlflow_tracking import MlflowTrackingResource


class BattleTrainingConfig(Config):
    eval_weeks: int = Field(default=4, description="Last weeks of battles held out to evaluate.")
    calibration_weeks: int = Field(
        default=4, description="Weeks before the evaluation the probabilities are calibrated on."
    )
    n_estimators: int = Field(default=300, description="Boosting rounds of LightGBM.")
    seed: int = Field(default=0, description="Seed of LightGBM and the ranking sample.")
    ranking_slayers: int = Field(
        default=500, description="Evaluation slayers whose top-3 is compared with the true odds."
    )


@asset(
    deps=["lake_raw_battle_outcomes", "lake_raw_customers", "lake_raw_products"],
    group_name="battle",
    kinds={"lightgbm", "mlflow"},
    check_specs=[gate_check_spec("battle_fit_model")],
    op_tags=SHOP_FIRST,
)
def battle_fit_model(
    context: AssetExecutionContext,
    config: BattleTrainingConfig,
    lake: LakeResource,
    mlflow_tracking: MlflowTrackingResource,
) -> MaterializeResult:
    """Calibrated LightGBM win chance of a weapon in a slayer's battle, scored against baselines
    and the true odds on the last weeks, registered as `hashira-battle-fit`."""
    # Imported here: LightGBM and scikit-learn take seconds to import, and every process that
    # loads the definitions (the UI's code server, each run's worker) would pay for them.
    from hashira_assets.battle.registry import GATE_METRIC, log_and_register
    from hashira_assets.battle.training import (
        BATTLE_MODEL_NAME,
        BattleSettings,
        flat_metrics,
        train_battle_model,
    )

    settings = BattleSettings(
        eval_weeks=config.eval_weeks,
        calibration_weeks=config.calibration_weeks,
        n_estimators=config.n_estimators,
        seed=config.seed,
        max_ranking_slayers=config.ranking_slayers,
    )
    inputs = table_versions(lake, None, BATTLE_INPUTS)
    data = load_battle_data(lake)
    trained = train_battle_model(
        data.battles, data.customers, data.products, settings, progress=context.log.info
    )
    registration = log_and_register(trained, settings, mlflow_tracking, inputs)
    decision = registration.decision
    context.log.info(f"{BATTLE_MODEL_NAME} v{registration.version}: {decision.reason}")
    rows = [
        {"ranking": name, **{k: round(v, 4) for k, v in metrics.items()}}
        for name, metrics in trained.results.items()
    ]
    return MaterializeResult(
        metadata={
            "mlflow_run_id": registration.run_id,
            "model_name": BATTLE_MODEL_NAME,
            "model_version": registration.version,
            "gate_metric": GATE_METRIC,
            "eval_start": str(trained.split.eval_start),
            **{k: round(v, 4) for k, v in flat_metrics(trained).items()},
            "champion_auc": round(decision.champion_metrics.get("auc", float("nan")), 4),
            "metrics": MetadataValue.md(markdown_table(rows)),
            "inputs": MetadataValue.md(inputs_table(inputs)),
            **decision.as_metadata(),
        },
        check_results=[gate_check_result(decision, context.log.warning)],
    )
