"""The analytics commands: `hashira ask-data "..."` and `hashira bench analytics`."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Annotated

import typer

from hashira_cli.assistant import bench_app
from resources import settings


def _err(message: str) -> None:
    typer.echo(message, err=True)


def ask_data(
    question: Annotated[str, typer.Argument(help='A question, or "sql SELECT ..." to run SQL.')],
    lake: Annotated[str | None, typer.Option(help="Lake root (default: the configured lake).")] = (
        None
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    rows: Annotated[int, typer.Option(help="Rows to print.")] = 20,
    spark: Annotated[
        bool,
        typer.Option(help="Run the validated query on Spark SQL (HASHIRA_SPARK_MASTER) instead."),
    ] = False,
) -> None:
    """Ask the lakehouse a question in plain words (or run one read-only SQL query)."""
    from hashira_serving.analytics import ask, ask_on_spark

    answer = ask_on_spark(question, lake_root=lake) if spark else ask(question, lake_root=lake)
    if as_json:
        typer.echo(json.dumps(answer.to_dict(), default=str))
        raise typer.Exit(1 if answer.refusal else 0)
    if answer.refusal:
        _err(f"Refused: {answer.refusal}")
        raise typer.Exit(1)
    typer.echo(answer.narrative or "(no narrative)")
    typer.echo(f"SQL: {answer.sql}")
    if answer.params:
        typer.echo(f"parameters: {[str(p) for p in answer.params]}")
    frame = answer.to_frame()
    typer.echo(frame.head(rows).to_string(index=False))
    if len(frame) > rows:
        typer.echo(f"... {len(frame) - rows} more rows")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@bench_app.command("analytics")
def bench_analytics(
    preset: Annotated[str, typer.Option(help="Preset the lake under $HASHIRA_HOME holds.")] = (
        "small"
    ),
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the results.")] = Path(
        "bench/results/analytics.json"
    ),
    lake: Annotated[str | None, typer.Option(help="Lake root (default: the configured lake).")] = (
        None
    ),
    n_questions: Annotated[int, typer.Option(help="Held-out paraphrase questions.")] = 160,
) -> None:
    """Execution accuracy on held-out paraphrases, hostile-input refusals, latency."""
    from hashira_assets.analytics.agent import AnalyticsAgent
    from hashira_assets.analytics.evaluation import (
        PARAPHRASE_SEED,
        ExpectedAnswers,
        change_cases,
        change_is_correct,
        hostile_inputs,
        inactive_cases,
        inactive_count,
        is_correct,
        lake_checksums,
        paraphrase_cases,
        uses_metric_alias,
    )
    from hashira_assets.index.embedding import embed

    lake_root = lake or settings.default_lake_root()
    before = lake_checksums(lake_root)
    started = time.perf_counter()
    agent = AnalyticsAgent(lake_root, embed=embed)
    startup = time.perf_counter() - started
    expected = ExpectedAnswers(lake_root)
    cases = paraphrase_cases(expected.last_day, n=n_questions)
    results, latencies, failures = [], [], []
    for case in cases:
        answer = agent.ask(case.question)
        latencies.append(answer.latency_s)
        ok = is_correct(answer, case, expected.answer(case))
        grounded = answer.ok and not answer.ungrounded and bool(answer.narrative)
        results.append((ok, grounded, answer.ok, uses_metric_alias(case)))
        if not ok:
            failures.append({"question": case.question, "metric": case.metric,
                             "dimension": case.dimension, "refusal": answer.refusal,
                             "sql": answer.sql})  # fmt: skip
    why_ok = []
    for case in change_cases(expected.last_day):
        answer = agent.ask(case.question)
        latencies.append(answer.latency_s)
        why_ok.append(change_is_correct(answer, case, expected))
        if not why_ok[-1]:
            failures.append({"question": case.question, "refusal": answer.refusal})
    inactive_ok = []
    for text, days in inactive_cases():
        answer = agent.ask(text)
        latencies.append(answer.latency_s)
        got = answer.rows[0][answer.columns.index("inactive_customers")] if answer.rows else 0
        inactive_ok.append(answer.ok and "inactive_customers" in answer.columns
                           and got == inactive_count(lake_root, days))  # fmt: skip
        if not inactive_ok[-1]:
            failures.append({"question": text, "refusal": answer.refusal})
    hostile = hostile_inputs()
    refused = []
    for text in hostile:
        answer = agent.ask(text)
        refused.append({"input": text[:120], "refused": answer.refusal is not None,
                        "reason": answer.refusal})  # fmt: skip
    agent.close()
    unchanged = lake_checksums(lake_root) == before
    answered = sum(r[2] for r in results)
    report = {
        "bench": "analytics",
        "preset": preset,
        "lake_root": lake_root,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "paraphrase_seed": PARAPHRASE_SEED,
        "questions": len(cases),
        "execution_accuracy": sum(r[0] for r in results) / len(cases),
        "answered": answered,
        "questions_without_metric_alias": sum(not r[3] for r in results),
        "execution_accuracy_without_metric_alias": sum(r[0] for r in results if not r[3])
        / max(sum(not r[3] for r in results), 1),
        "narrative_grounded_rate": sum(r[1] for r in results) / max(answered, 1),
        "why_questions": len(why_ok),
        "why_accuracy": sum(why_ok) / max(len(why_ok), 1),
        "inactive_questions": len(inactive_ok),
        "inactive_accuracy": sum(inactive_ok) / max(len(inactive_ok), 1),
        "hostile_inputs": len(hostile),
        "hostile_refused_rate": sum(r["refused"] for r in refused) / len(hostile),
        "lake_checksums_unchanged": unchanged,
        "lake_files_checked": len(before),
        "latency_median_s": statistics.median(latencies),
        "latency_p95_s": _percentile(latencies, 0.95),
        "agent_startup_s": startup,
        "failures": failures,
        "hostile": refused,
    }
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps(report, indent=2, default=str))
    keys = ("execution_accuracy", "execution_accuracy_without_metric_alias",
            "narrative_grounded_rate", "why_accuracy", "inactive_accuracy",
            "hostile_refused_rate",
            "lake_checksums_unchanged", "latency_median_s", "latency_p95_s")  # fmt: skip
    typer.echo(json.dumps({k: report[k] for k in keys}))
