"""The `assistant` group: the trained support-conversation summarizer and its summaries."""

import tempfile

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

from hashira_assets.assistant.summaries import (
    SUMMARIZER_MODEL_NAME,
    load_conversations,
    read_summaries,
    summaries_path,
    summarize_incrementally,
    train_and_register,
    write_summaries,
)
from hashira_assets.assistant.summarizers import load_summarizer
from hashira_assets.gate import gate_check_result, gate_check_spec
from hashira_assets.metadata import markdown_preview
from hashira_assets.raw.world_resource import SyntheticWorldResource
from resources.mlflow_tracking import MlflowTrackingResource


class SummarizerTrainingConfig(Config):
    max_train: int = Field(
        default=2000, description="Training conversations sampled (phrasing set A)."
    )
    seed: int = Field(default=0, description="Seed of the sample and the classifiers.")


@asset(
    deps=["support_conversations", "products"],
    group_name="assistant",
    kinds={"mlflow"},
    check_specs=[gate_check_spec("summarizer_model")],
)
def summarizer_model(
    context: AssetExecutionContext,
    config: SummarizerTrainingConfig,
    world: SyntheticWorldResource,
    mlflow_tracking: MlflowTrackingResource,
) -> MaterializeResult:
    """Support-conversation summarizer trained on phrasing set A, registered in MLflow and
    promoted to `champion` only if it beats the current one on held-out phrasing set B."""
    report = train_and_register(world.path, mlflow_tracking, config.max_train, config.seed)
    context.log.info(f"summarizer v{report.version}: {report.decision.reason}")
    return MaterializeResult(
        metadata={
            "mlflow_run_id": report.run_id,
            "model_name": SUMMARIZER_MODEL_NAME,
            "model_version": report.version,
            "train_size": report.train_size,
            "heldout_size": report.heldout_size,
            "train_seconds": round(report.train_seconds, 2),
            **{f"heldout_{k}": round(v, 4) for k, v in report.scores.items()},
            **{f"baseline_{k}": round(v, 4) for k, v in report.baseline.items()},
            **report.decision.as_metadata(),
        },
        check_results=[gate_check_result(report.decision, context.log.warning)],
    )


@asset(deps=["support_conversations", summarizer_model], group_name="assistant", kinds={"parquet"})
def conversation_summaries(
    context: AssetExecutionContext,
    world: SyntheticWorldResource,
    mlflow_tracking: MlflowTrackingResource,
) -> MaterializeResult:
    """Summary, issue category, resolution and sentiment of every support conversation, by the
    champion summarizer; only new or changed conversations are summarized again."""
    champion = mlflow_tracking.champion_version(SUMMARIZER_MODEL_NAME)
    if champion is None:
        raise ValueError(f"no champion version of {SUMMARIZER_MODEL_NAME}; run summarizer_model")
    conversations = load_conversations(world.path)
    path = summaries_path()
    with tempfile.TemporaryDirectory() as tmp:
        summarizer = load_summarizer(
            mlflow_tracking.download_version(SUMMARIZER_MODEL_NAME, champion, tmp)
        )
        table, summarized = summarize_incrementally(
            conversations, read_summaries(path), summarizer, champion
        )
    write_summaries(table, path)
    context.log.info(f"{summarized} conversations summarized, {table.num_rows - summarized} kept")
    return MaterializeResult(
        metadata={
            "dagster/row_count": table.num_rows,
            "summarized_now": summarized,
            "reused": table.num_rows - summarized,
            "model_version": champion,
            "path": MetadataValue.path(str(path)),
            "preview": markdown_preview(path.parent),
        }
    )


@asset_check(asset=conversation_summaries)
def every_conversation_summarized(world: SyntheticWorldResource) -> AssetCheckResult:
    """Each conversation has exactly one non-empty summary."""
    table = read_summaries(summaries_path())
    expected = {c["conversation_id"] for c in load_conversations(world.path)}
    if table is None:
        return AssetCheckResult(passed=False, metadata={"reason": "no summaries file"})
    ids = table["conversation_id"].to_pylist()
    empty = sum(1 for s in table["summary"].to_pylist() if not s.strip())
    return AssetCheckResult(
        passed=set(ids) == expected and len(ids) == len(set(ids)) and empty == 0,
        metadata={"summaries": len(ids), "conversations": len(expected), "empty": empty},
    )
