"""kill -9 in the middle of work: a Python script runs in its own process group, signals that it
reached the point of interest by creating a marker file, and the whole group (the Spark JVM
too) is killed by its process id with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def kill_at_marker(
    script: str, marker: Path, log: Path, timeout: float = 180.0, env: dict | None = None
) -> int:
    """Run `script` (Python source), SIGKILL its process group once `marker` exists; its return
    code (-9). Fails when the script ends or times out before reaching the marker."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(script)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Spark's Python workers must run this interpreter (the one with pyarrow).
            env={**os.environ, "PYSPARK_PYTHON": sys.executable, **(env or {})},
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    try:
        while not marker.exists():
            if process.poll() is not None:
                raise AssertionError(
                    f"the script ended ({process.returncode}) before its marker:\n"
                    + log.read_text()[-3000:]
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"no marker after {timeout:.0f}s:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
