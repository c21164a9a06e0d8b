"""Running a command while sampling the memory of its process tree: the Python driver and the
Spark JVM it starts (which in `local[*]` mode holds the executors too)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence


@dataclasses.dataclass(frozen=True)
class ProcessRun:
    """One command's exit code, wall time, peak memory and output."""

    returncode: int
    seconds: float
    peak_rss_bytes: int  # the whole tree at its peak
    peak_python_rss_bytes: int  # the driver (Python) processes at their peak
    peak_jvm_rss_bytes: int  # the Spark JVM(s) at their peak
    log: str


def tree_rss(pid: int) -> tuple[int, int]:
    """(Python and other processes, Java processes): resident bytes of pid and its children."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    members = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            # The executable before the memory: a child that has exec'd since is small.
            exe = proc.exe()
            members.append((proc.pid, proc.ppid(), exe, proc.memory_info().rss))
    return split_rss(members)


def split_rss(members: list[tuple[int, int, str, int]]) -> tuple[int, int]:
    """(other, Java) resident bytes of (pid, parent pid, executable, rss) processes.

    Java starts a subprocess (Hadoop's shell commands, say) by vfork, then exec: until the exec
    the child runs the JVM's own executable in the JVM's memory, and its RSS is the JVM's (named
    after the thread that started it). Such a child is not counted; counted, it doubled the
    JVM's figure under "other".
    """
    java_pids = {pid for pid, _, exe, _ in members if _is_java(exe)}
    other = java = 0
    for _, ppid, exe, rss in members:
        if _is_java(exe):
            if ppid not in java_pids:
                java += rss
        else:
            other += rss
    return other, java


def _is_java(exe: str) -> bool:
    return os.path.basename(exe) == "java"


def run_watched(
    cmd: Sequence[str],
    env: dict[str, str],
    on_line: Callable[[str], None] = lambda _line: None,
    interval: float = 0.5,
) -> ProcessRun:
    """Run cmd, pass each output line to on_line as it comes, and sample the tree's memory."""
    started = time.monotonic()
    process = subprocess.Popen(
        list(cmd), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peaks = [0, 0, 0]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            other, java = tree_rss(process.pid)
            peaks[0] = max(peaks[0], other + java)
            peaks[1] = max(peaks[1], other)
            peaks[2] = max(peaks[2], java)
            done.wait(interval)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        on_line(line.rstrip("\n"))
    process.wait()
    done.set()
    watcher.join()
    return ProcessRun(
        process.returncode,
        time.monotonic() - started,
        peaks[0],
        peaks[1],
        peaks[2],
        "".join(lines),
    )
