"""The `assistant` group: the trained support-conversation summarizer and its summaries."""

import dataclasses
import tempfile
import time

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
    write_summaries,
)
from hashira_assets.gate import gate_check_result, gate_check_spec
from hashira_assets.metadata import markdown_preview
from hashira_assets.priorities import LONGEST_PATH
from hashira_assets.raw.world_resource import SyntheticWorldResource
from resources.mlflow_tracking import MlflowTrackingResource
from resources.torch_cpu import threads_following_idle_cores, torch_threads


class SummarizerTrainingConfig(Config):
    max_examples: int | None = Field(
        default=None,
        description="Training conversations sampled for fine-tuning (default: the preset's).",
    )
    budget_seconds: float | None = Field(
        default=None, description="Fine-tuning stops after this long (default: the preset's)."
    )
    seed: int = Field(default=0, description="Seed of the sample, the adapters, the labeler.")


@asset(
    deps=["support_conversations", "products"],
    group_name="assistant",
    kinds={"mlflow"},
    op_tags=LONGEST_PATH,
    check_specs=[gate_check_spec("summarizer_model")],
)
def summarizer_model(
    context: AssetExecutionContext,
    config: SummarizerTrainingConfig,
    world: SyntheticWorldResource,
    mlflow_tracking: MlflowTrackingResource,
) -> MaterializeResult:
    """SmolLM2 fine-tuned with LoRA to summarize support chats (plus the labeler of their
    category, resolution and sentiment), promoted only if it beats the champion on held-out
    wording."""
    # Imported here: torch and transformers take seconds to import, and every process that loads
    # the definitions (the UI's code server, each run's worker) would pay for them.
    from hashira_assets.assistant.summarizer_training import PRESET_BUDGETS, train_and_register

    budget = PRESET_BUDGETS.get(world.preset, PRESET_BUDGETS["small"])
    overrides = {
        key: value
        for key, value in (
            ("max_examples", config.max_examples),
            ("budget_seconds", config.budget_seconds),
        )
        if value is not None
    }
    budget = dataclasses.replace(budget, neural=dataclasses.replace(budget.neural, **overrides))
    with torch_threads() as threads:
        context.log.info(f"summarizer: fine-tuning and scoring on {threads} torch threads")
        report = train_and_register(
            world.path, mlflow_tracking, budget, config.seed, progress=context.log.info
        )
    fitted = report.fitted
    context.log.info(f"summarizer v{report.version}: {report.decision.reason}")
    figures = {
        f"{prefix}{name}_{key}": round(value, 4)
        for prefix, scores in (("heldout_", fitted.scores), ("baseline_", fitted.baseline))
        for name, values in scores.items()
        for key, value in values.items()
        if key in ("rougeL", "category_accuracy", "faithfulness", "fallback_share")
    }
    return MaterializeResult(
        metadata={
            "mlflow_run_id": report.run_id,
            "model_name": SUMMARIZER_MODEL_NAME,
            "model_version": report.version,
            "train_sample": fitted.fine_tune.sample_size,
            "train_examples_seen": fitted.fine_tune.examples_seen,
            "stopped_by_budget": fitted.fine_tune.stopped_by_budget,
            "train_seconds": round(fitted.train_seconds, 1),
            **figures,
            **report.decision.as_metadata(),
        },
        check_results=[gate_check_result(report.decision, context.log.warning)],
    )


@asset(
    deps=["support_conversations", summarizer_model],
    group_name="assistant",
    kinds={"parquet"},
    op_tags=LONGEST_PATH,
)
def conversation_summaries(
    context: AssetExecutionContext,
    world: SyntheticWorldResource,
    mlflow_tracking: MlflowTrackingResource,
) -> MaterializeResult:
    """Summary, issue category, resolution and sentiment of every support conversation, by the
    champion summarizer; only new or changed conversations are summarized again."""
    from hashira_assets.assistant.summarizers import load_summarizer

    champion = mlflow_tracking.champion_version(SUMMARIZER_MODEL_NAME)
    if champion is None:
        raise ValueError(f"no champion version of {SUMMARIZER_MODEL_NAME}; run summarizer_model")
    conversations = load_conversations(world.path)
    path = summaries_path()
    with tempfile.TemporaryDirectory() as tmp:
        summarizer = load_summarizer(
            mlflow_tracking.download_version(SUMMARIZER_MODEL_NAME, champion, tmp)
        )
        started = time.monotonic()

        with threads_following_idle_cores() as follow_idle_cores:

            def checkpoint(partial, done: int, total: int) -> None:
                # Saved as it goes: a run stopped half-way keeps what it summarized.
                write_summaries(partial, path)
                # The steps beside this one finish long before it does: take their cores.
                threads = follow_idle_cores()
                rate = (time.monotonic() - started) / max(done, 1)
                context.log.info(
                    f"summaries: {done}/{total} conversations, about "
                    f"{rate * (total - done):.0f} s left; next batch on {threads} threads"
                )

            table, summarized = summarize_incrementally(
                conversations,
                read_summaries(path),
                summarizer,
                champion,
                # Chunks of 128: a look at the idle cores every ~35 s on one thread. Each
                # chunk's decoding batch drains at its end; chunks of 32 cost 0.37 s per
                # conversation against 0.27 s (bench/bench_summaries.py).
                batch_size=128,
                checkpoint=checkpoint,
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
