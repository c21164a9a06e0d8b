"""Benchmark Dagster's local SQLite storage on a run over many daily partitions: Dagster's own
SQLite storage against `resources.dagster_sqlite.PooledSqliteStorage` (the repository's
dagster.yaml), on the same job.

Usage: python bench/bench_dagster_events.py [--days 730] [--assets 6] [--repeats 3] [--json OUT]

The job is the shape of the `gold` step: one multi-asset of `--assets` daily-partitioned tables,
materialized as one run over `--days` days (a single-run backfill), so Dagster stores one planned
and one materialization event per asset and day. The assets compute nothing: what is timed is
the run's creation and execution in process, which is storing events.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import yaml
from dagster import AssetExecutionContext

from hashira_assets.lakehouse import dagster_yaml

EVENTS_START = "2024-11-01"


def partitioned_job_assets(n_assets: int) -> dg.AssetsDefinition:
    @dg.multi_asset(
        specs=[dg.AssetSpec(f"table_{i}") for i in range(n_assets)],
        partitions_def=dg.DailyPartitionsDefinition(start_date=EVENTS_START),
        backfill_policy=dg.BackfillPolicy.single_run(),
        can_subset=True,
    )
    def tables(context: AssetExecutionContext):
        for key in context.selected_asset_keys:
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={"dagster/row_count": 1000, "dates": str(context.partition_key_range)},
                data_version=dg.DataVersion("v1"),
            )

    return tables


def time_run(storage: str, days: int, n_assets: int) -> float:
    """Seconds to create and execute the run in a fresh instance with `storage`."""
    with tempfile.TemporaryDirectory() as home:
        config = yaml.safe_load(dagster_yaml({}))
        if storage == "dagster":
            config.pop("storage")  # Dagster's default: its SQLite storage under the home
        Path(home, "dagster.yaml").write_text(yaml.safe_dump(config))
        os.environ["DAGSTER_HOME"] = home
        assets = partitioned_job_assets(n_assets)
        keys = assets.partitions_def.get_partition_keys()[:days]
        with dg.DagsterInstance.get() as instance:
            started = time.perf_counter()
            result = dg.materialize(
                [assets],
                instance=instance,
                tags={
                    "dagster/asset_partition_range_start": keys[0],
                    "dagster/asset_partition_range_end": keys[-1],
                },
            )
            seconds = time.perf_counter() - started
            stored = len(result.get_asset_materialization_events())
        if not result.success or stored != days * n_assets:
            raise RuntimeError(f"{storage}: run failed or stored {stored} materializations")
        return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--assets", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.days < 1 or args.assets < 1 or args.repeats < 1:
        parser.error("--days, --assets and --repeats must be at least 1")
    figures: dict[str, dict] = {}
    for storage in ("dagster", "pooled"):
        runs = [time_run(storage, args.days, args.assets) for _ in range(args.repeats)]
        figures[storage] = {"seconds": runs, "median_seconds": statistics.median(runs)}
        print(f"{storage}: median {statistics.median(runs):.1f} s over {args.repeats} runs")
    events = args.days * args.assets
    out = {
        "benchmark": "dagster_sqlite_events",
        "days": args.days,
        "assets": args.assets,
        "materializations_per_run": events,
        "storages": figures,
        "ms_per_materialization": {
            k: round(1000 * v["median_seconds"] / events, 2) for k, v in figures.items()
        },
        "speedup": round(
            figures["dagster"]["median_seconds"] / figures["pooled"]["median_seconds"], 2
        ),
        **dagster_environment(),
    }
    write_results(out, args.json)
    return 0


def dagster_environment() -> dict:
    """Dagster's and Python's versions and the machine, for a bench's JSON."""
    return {
        "dagster_version": dg.__version__,
        "python": sys.version.split()[0],
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def write_results(out: dict, path: Path | None) -> None:
    """Print a bench's figures, and write them as JSON to `path` when given."""
    text = json.dumps(out, indent=1)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    raise SystemExit(main())
