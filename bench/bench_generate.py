"""Benchmark `hashira generate`: wall time and peak memory per preset, written as JSON.

Usage: python bench/bench_generate.py --preset medium [--max-seconds 600] [--json OUT] [--keep DIR]
With --max-seconds the run is stopped when the limit is reached and the total time is projected
from the progress it reported (used for the `hm` preset).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

PROGRESS = re.compile(r"^(\w+): ([\d,]+)/([\d,]+) \((\d+)%\) after (\d+)s")


def _watch_memory(process: subprocess.Popen, peak: list[int], stop: threading.Event) -> None:
    """The peaks of the generator's and its forked workers' memory together: summed RSS (pages
    the workers share with the generator counted in each) and summed PSS (shared pages split
    between the processes that share them, so counted once)."""
    handle = psutil.Process(process.pid)
    while not stop.is_set():
        try:
            tree = [handle, *handle.children(recursive=True)]
        except psutil.Error:
            return
        rss = pss = 0
        for member in tree:
            with contextlib.suppress(psutil.Error):
                full = member.memory_full_info()
                rss += full.rss
                pss += full.pss
        peak[0] = max(peak[0], rss)
        peak[1] = max(peak[1], pss)
        time.sleep(0.5)


def run(preset: str, seed: int, max_seconds: float | None, out_dir: Path) -> dict:
    cmd = [sys.executable, "-m", "hashira_cli.main", "generate", "--preset", preset,
           "--seed", str(seed), "--out", str(out_dir)]  # fmt: skip
    started = time.monotonic()
    process = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    peak, stop = [0, 0], threading.Event()
    watcher = threading.Thread(target=_watch_memory, args=(process, peak, stop), daemon=True)
    watcher.start()
    stages: dict[str, dict] = {}
    stopped_early = False
    assert process.stderr is not None
    for line in process.stderr:
        sys.stderr.write(line)
        match = PROGRESS.match(line.strip())
        if match:
            stage, done, total, _, elapsed = match.groups()
            stages[stage] = {
                "done": int(done.replace(",", "")),
                "total": int(total.replace(",", "")),
                "stage_seconds": int(elapsed),
                "at_seconds": round(time.monotonic() - started, 1),
            }
        if max_seconds and time.monotonic() - started > max_seconds:
            process.kill()
            stopped_early = True
            break
    process.wait()
    stop.set()
    wall = time.monotonic() - started
    children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    result = {
        "preset": preset,
        "seed": seed,
        "completed": process.returncode == 0 and not stopped_early,
        "wall_seconds": round(wall, 1),
        "peak_rss_mib": round(max(peak[0], children_peak) / 2**20, 1),
        "peak_pss_mib": round(peak[1] / 2**20, 1),
        "stages": stages,
        "machine": {"cpus": psutil.cpu_count(), "python": platform.python_version()},
    }
    manifest = out_dir / "manifest.json"
    if result["completed"] and manifest.exists():
        result["row_counts"] = json.loads(manifest.read_text())["row_counts"]
    elif "events" in stages:
        events = stages["events"]
        per_day = events["stage_seconds"] / max(events["done"], 1)
        result["projected_event_simulation_seconds"] = round(per_day * events["total"], 1)
        result["note"] = (
            "stopped early; the projection covers the day-by-day event simulation only "
            "(the oracle stages that follow were not reached)"
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-seconds", type=float, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="Write the world here and keep it.")
    args = parser.parse_args()
    target = args.json or Path("bench/results") / f"generate_{args.preset}.json"
    if args.keep:
        result = run(args.preset, args.seed, args.max_seconds, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="hashira-bench-") as tmp:
            result = run(args.preset, args.seed, args.max_seconds, Path(tmp) / "raw")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "stages"}, indent=2))


if __name__ == "__main__":
    main()
