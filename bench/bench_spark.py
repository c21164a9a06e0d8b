"""Benchmark the Spark layers (silver, gold, features) on a preset; write JSON.

Usage: python bench/bench_spark.py --preset medium [--home DIR] [--json OUT]
The world is generated and landed first (not timed); then one run materializes every silver, gold
and feature table, and its wall time and the peak memory of the driver and executor processes
(the Python process and its Spark JVM, summed) are recorded, with each step's duration.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from hashira_cli.process_watch import tree_rss

SPARK_GROUPS = "group:silver or group:gold or group:features"
STEP = re.compile(r'Finished execution of step "(\w+)" in ([\dhms.]+)\.')
# Dagster writes durations as 533ms, 2.1s, 4m52s or 1h4m.
DURATION_PART = re.compile(r"([\d.]+)(ms|h|m|s)")


def run_hashira(args: list[str], env: dict[str, str]) -> tuple[int, float, int, str]:
    """Run `hashira ARGS`; return exit code, seconds, peak tree RSS and the log."""
    cmd = [str(Path(sys.executable).with_name("hashira")), *args]
    started = time.monotonic()
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)  # fmt: skip
    peak = [0]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], sum(tree_rss(process.pid)))
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    log, _ = process.communicate()
    done.set()
    return process.returncode, time.monotonic() - started, peak[0], log


def _seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(value) * units[unit] for value, unit in DURATION_PART.findall(duration))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="small")
    parser.add_argument("--home", type=Path, default=None, help="HASHIRA_HOME to use (kept).")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    home = (args.home or Path(f"/tmp/hashira-bench-spark-{args.preset}")).resolve()
    env = {**os.environ, "HASHIRA_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    if not (home / "raw" / "manifest.json").exists():
        code, seconds, _, log = run_hashira(
            ["materialize", "--preset", args.preset, "--select", "group:raw or group:lake"], env
        )
        if code:
            sys.exit(f"landing the world failed:\n{log[-3000:]}")
        print(f"generated and landed {args.preset} in {seconds:.0f}s", file=sys.stderr)
    code, seconds, peak, log = run_hashira(
        ["materialize", "--preset", args.preset, "--select", SPARK_GROUPS, "--log-level", "DEBUG"],
        env,
    )
    if code:
        sys.exit(f"the Spark run failed:\n{log[-3000:]}")
    steps = {name: round(_seconds(duration), 2) for name, duration in STEP.findall(log)}
    manifest = json.loads((home / "raw" / "manifest.json").read_text())
    result = {
        "preset": args.preset,
        "raw_events": manifest["row_counts"]["interaction_events"],
        "spark_master": os.environ.get("HASHIRA_SPARK_MASTER", "local[*]"),
        "wall_seconds": round(seconds, 1),
        "peak_rss_mib_driver_and_executor": round(peak / 2**20, 1),
        "step_seconds": steps,
        "cpus": psutil.cpu_count(),
    }
    target = args.json or Path("bench/results") / f"spark_{args.preset}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
