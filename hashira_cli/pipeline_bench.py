"""`hashira bench pipeline`: the whole graph stage by stage, each stage's wall time and peak
memory, and the models' quality figures at that preset, as JSON.

Each stage is its own `hashira materialize` process (so a stage's figures include its start-up,
its Spark session and nothing of the stages before it). The JSON is rewritten after every stage,
so a run that fails or is stopped keeps what it measured.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from hashira_cli.process_watch import run_watched

# In the graph's flow order; the recommender needs the battle-fit model (a ranker feature).
STAGES: dict[str, str] = {
    "generate": "group:raw",
    "land": "group:lake",
    "silver": "group:silver",
    "gold": "group:gold",
    "features": "group:features",
    "battle": "group:battle",
    "recommender": "group:recommender",
    "forecaster": "group:forecast",
    "index": "group:index",
    "summaries": "group:assistant",
    "images": "group:images",
}
# The model assets whose numeric materialization metadata are the quality figures.
MODEL_ASSETS = (
    "recommender_model",
    "forecaster_model",
    "battle_fit_model",
    "summarizer_model",
    "slayer_image_model",
)
MIB = 2**20


def _err(message: str) -> None:
    typer.echo(message, err=True)


def progress_line(stage: str, line: str) -> str | None:
    """A child's Dagster INFO line as 'stage | asset - message' (None for other lines)."""
    marker = " - INFO - "
    if marker not in line:
        return None
    fields = line.split(marker, 1)[1].split(" - ")
    # job - run id - asset - message
    if len(fields) < 4:
        return f"{stage} | {' - '.join(fields)}"
    return f"{stage} | {fields[2]} - {' - '.join(fields[3:])}"


def quality_figures(dagster_home: Path) -> dict[str, dict[str, float]]:
    """Numeric metadata of each model asset's latest materialization in that instance."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    out = {}
    with dg.DagsterInstance.get() as instance:
        for name in MODEL_ASSETS:
            event = instance.get_latest_materialization_event(dg.AssetKey(name))
            if event is None or event.asset_materialization is None:
                continue
            values = {}
            for key, entry in event.asset_materialization.metadata.items():
                value = getattr(entry, "value", None)
                if isinstance(value, bool):
                    values[key] = value
                elif isinstance(value, int | float):
                    values[key] = round(float(value), 4)
            out[name] = values
    return out


def _machine() -> dict:
    import psutil

    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "spark_master": os.environ.get("HASHIRA_SPARK_MASTER", "local[*]"),
    }


def bench_pipeline(
    preset: Annotated[str, typer.Option(help="World size: tiny, small, medium, hm.")] = "small",
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Where to write (default bench/results/pipeline_P.json)."),
    ] = None,
    home: Annotated[
        Path | None,
        typer.Option(help="HASHIRA_HOME to build in (default: a new folder under /tmp)."),
    ] = None,
    stages: Annotated[
        str | None,
        typer.Option(help=f"Comma-separated stages (default all): {', '.join(STAGES)}."),
    ] = None,
    seed: Annotated[int, typer.Option(help="The world's seed.")] = 42,
) -> None:
    """Run the whole graph stage by stage and write each stage's wall seconds and peak memory
    (driver and Spark JVM) and the models' quality figures."""
    from hashira_assets.raw.world_config import PRESETS

    if preset not in PRESETS:
        _err(f"error: unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
        raise typer.Exit(code=2)
    chosen = list(STAGES) if not stages else [s.strip() for s in stages.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in STAGES]
    if unknown or not chosen:
        _err(f"error: unknown stages {unknown}; choose from {', '.join(STAGES)}")
        raise typer.Exit(code=2)
    root = (home or Path(f"/tmp/hashira-bench-pipeline-{preset}")).resolve()
    dagster_home = root / "dagster_home"
    dagster_home.mkdir(parents=True, exist_ok=True)
    target = json_out or Path("bench/results") / f"pipeline_{preset}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HASHIRA_HOME": str(root), "DAGSTER_HOME": str(dagster_home)}
    hashira = str(Path(sys.executable).with_name("hashira"))
    result: dict = {
        "preset": preset,
        "seed": seed,
        "home": str(root),
        "machine": _machine(),
        "completed": False,
        "stages": {},
        "note": "each stage is one `hashira materialize` process, one step at a time; peak "
        "memory is the process tree's (Python driver + Spark JVM, which holds the executors in "
        "local mode)",
    }

    def save() -> None:
        target.write_text(json.dumps(result, indent=2) + "\n")

    run_watched([hashira, "dagster-yaml"], env)
    started = time.monotonic()
    for number, stage in enumerate(chosen, 1):
        select = STAGES[stage]
        _err(f"[{number}/{len(chosen)}] {stage} ({select})")
        run = run_watched(
            [hashira, "materialize", "--preset", preset, "--seed", str(seed), "--select", select],
            env,
            on_line=lambda line, stage=stage: _echo_progress(progress_line(stage, line)),
        )
        result["stages"][stage] = {
            "select": select,
            "ok": run.returncode == 0,
            "wall_seconds": round(run.seconds, 1),
            "peak_rss_mib": round(run.peak_rss_bytes / MIB, 1),
            "peak_python_rss_mib": round(run.peak_python_rss_bytes / MIB, 1),
            "peak_spark_jvm_rss_mib": round(run.peak_jvm_rss_bytes / MIB, 1),
        }
        result["total_wall_seconds"] = round(time.monotonic() - started, 1)
        result["peak_rss_mib"] = max(s["peak_rss_mib"] for s in result["stages"].values())
        _err(f"[{number}/{len(chosen)}] {stage}: {run.seconds:.0f} s, "
             f"peak {run.peak_rss_bytes / MIB:,.0f} MiB")  # fmt: skip
        if run.returncode != 0:
            result["stages"][stage]["log_tail"] = run.log[-4000:]
            save()
            _err(f"error: stage {stage} failed; its log's end is in {target}")
            raise typer.Exit(code=1)
        save()
    result["quality"] = quality_figures(dagster_home)
    result["completed"] = True
    save()
    typer.echo(json.dumps({k: v for k, v in result.items() if k != "quality"}, indent=2))
    typer.echo(f"written to {target}")


def _echo_progress(line: str | None) -> None:
    if line is not None:
        _err(line)
