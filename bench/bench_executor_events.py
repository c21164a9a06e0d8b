"""Benchmark how long the multiprocess executor's parent takes to read a step's materializations
while another step runs quietly: Dagster's default executor against
`resources.dagster_executor.prompt_multi_or_in_process_executor` (the graph's), on the same job.

Usage: python bench/bench_executor_events.py [--days 730] [--assets 2] [--quiet-seconds 40]
       [--repeats 3] [--json OUT]

The job is the shape of the demo's silver step beside the summarizer: `tables`, `--assets`
daily-partitioned tables materialized over `--days` days in one step (one event per table and
day), runs beside `quiet`, a step that sleeps `--quiet-seconds` and logs nothing; `after` needs
`tables`. What is timed is the lag from `tables` ending to `after`'s process being launched:
the parent must first have read every event `tables` sent. Each run is a fresh process and a
fresh Dagster home with the repository's storage (dagster.yaml), two steps at a time.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import yaml

# The Dagster benches' shared output lives beside this one.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_dagster_events import dagster_environment, write_results
from hashira_assets.lakehouse import dagster_yaml
from resources.dagster_executor import prompt_multi_or_in_process_executor

EVENTS_START = "2024-11-01"
DAYS = int(os.environ.get("BENCH_EXECUTOR_DAYS", "730"))
ASSETS = int(os.environ.get("BENCH_EXECUTOR_ASSETS", "2"))
QUIET_SECONDS = float(os.environ.get("BENCH_EXECUTOR_QUIET_SECONDS", "40"))
PARTITIONS = dg.DailyPartitionsDefinition(start_date=EVENTS_START)


@dg.multi_asset(
    specs=[dg.AssetSpec(f"table_{i}") for i in range(ASSETS)],
    partitions_def=PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def tables(context: dg.AssetExecutionContext):
    """Tables over a range of days: one materialization per table and day."""
    for key in context.selected_asset_keys:
        yield dg.MaterializeResult(asset_key=key, metadata={"dagster/row_count": 1000})


@dg.asset
def quiet() -> None:
    """A long step that logs nothing, like a model fitting."""
    time.sleep(QUIET_SECONDS)


@dg.asset(deps=[f"table_{i}" for i in range(ASSETS)])
def after() -> None:
    """A step that waits for the tables."""


def _job(executor: dg.ExecutorDefinition | None) -> dg.JobDefinition:
    defs = dg.Definitions(
        assets=[tables, quiet, after],
        jobs=[dg.define_asset_job("bench", executor_def=executor)],
    )
    return defs.resolve_job_def("bench")


def dagster_job() -> dg.JobDefinition:
    return _job(None)


def prompt_job() -> dg.JobDefinition:
    return _job(prompt_multi_or_in_process_executor)


JOBS = {"dagster": dagster_job, "prompt": prompt_job}


def one_run(variant: str) -> dict[str, float]:
    """Run the job once in this process; the parent's lag and the run's seconds."""
    with tempfile.TemporaryDirectory() as home:
        Path(home, "dagster.yaml").write_text(yaml.safe_dump(yaml.safe_load(dagster_yaml({}))))
        os.environ["DAGSTER_HOME"] = home
        keys = PARTITIONS.get_partition_keys()[:DAYS]
        with dg.DagsterInstance.get() as instance:
            started = time.perf_counter()
            result = dg.execute_job(
                dg.reconstructable(JOBS[variant]),
                instance=instance,
                run_config={"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}},
                tags={
                    "dagster/asset_partition_range_start": keys[0],
                    "dagster/asset_partition_range_end": keys[-1],
                },
            )
            seconds = time.perf_counter() - started
            events = instance.all_logs(result.run_id)
    if not result.success:
        raise RuntimeError(f"{variant}: the run failed")
    stored = sum(e.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION for e in events)
    if stored != DAYS * ASSETS + 2:
        raise RuntimeError(f"{variant}: stored {stored} materializations")

    def first(event_type: str, step: str) -> float:
        return next(
            e.timestamp
            for e in events
            if e.step_key == step and e.dagster_event_type == dg.DagsterEventType(event_type)
        )

    lag = first("STEP_WORKER_STARTING", "after") - first("STEP_SUCCESS", "tables")
    return {"lag_seconds": lag, "run_seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--assets", type=int, default=ASSETS)
    parser.add_argument("--quiet-seconds", type=float, default=QUIET_SECONDS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--one", choices=sorted(JOBS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:  # a single run, in the fresh process the parent started
        print(json.dumps(one_run(args.one)))
        return 0
    if args.days < 1 or args.assets < 1 or args.repeats < 1 or args.quiet_seconds <= 0:
        parser.error("--days, --assets, --repeats and --quiet-seconds must be positive")
    env = {
        **os.environ,
        "BENCH_EXECUTOR_DAYS": str(args.days),
        "BENCH_EXECUTOR_ASSETS": str(args.assets),
        "BENCH_EXECUTOR_QUIET_SECONDS": str(args.quiet_seconds),
    }
    figures: dict[str, dict] = {}
    for variant in JOBS:
        runs = []
        for _ in range(args.repeats):
            out = subprocess.run(
                [sys.executable, __file__, "--one", variant],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        lags = [r["lag_seconds"] for r in runs]
        figures[variant] = {
            "lag_seconds": lags,
            "median_lag_seconds": statistics.median(lags),
            "run_seconds": [r["run_seconds"] for r in runs],
        }
        print(f"{variant}: median lag {statistics.median(lags):.1f} s over {args.repeats} runs")
    out = {
        "benchmark": "executor_events",
        "days": args.days,
        "assets": args.assets,
        "materializations": args.days * args.assets,
        "quiet_seconds": args.quiet_seconds,
        "executors": figures,
        **dagster_environment(),
    }
    write_results(out, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
