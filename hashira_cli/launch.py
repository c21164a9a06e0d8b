"""`hashira launch JOB`: run a job through the running Dagster UI and follow it in the terminal.

`make demo` uses it after the servers answer, so the graph is built by a run the Dagster UI shows
live (two steps at a time) while the app's pages say what they are still waiting for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated

import typer

from hashira_cli.accounts import demo_accounts
from hashira_serving.build_status import RunProgress, RunWatcher, duration_text
from resources import settings

POLL_SECONDS = 2.0


def _err(message: str) -> None:
    typer.echo(message, err=True)


def progress_lines(before: RunProgress | None, now: RunProgress) -> list[str]:
    """What changed between two looks at a run, one line per event worth a line."""
    lines = []
    old_running = set(before.steps_running) if before else set()
    old_done = set(before.steps_done) if before else set()
    old_failed = set(before.steps_failed) if before else set()
    stamp = duration_text(now.elapsed_seconds())
    for step in now.steps_running:
        if step not in old_running and step not in old_done:
            lines.append(f"[{stamp}] started  {step}")
    for step in now.steps_done:
        if step not in old_done:
            lines.append(
                f"[{stamp}] done     {step} ({len(now.steps_done)}/{now.steps_total} steps)"
            )
    for step in now.steps_failed:
        if step not in old_failed:
            lines.append(f"[{stamp}] FAILED   {step}")
    if before is not None and before.status != now.status:
        lines.append(f"[{stamp}] run {now.status.lower()}")
    return lines


# The demo sign-ins link to generated customers, so they are made once the run has this.
WORLD_ASSET = "customers"


def follow(
    run_id: str, poll_seconds: float = POLL_SECONDS, on_world: Callable[[], None] | None = None
) -> RunProgress:
    """Print a run's steps as they start and end until the run finishes; returns the last look.
    `on_world` is called once, when the run has generated the world."""
    from hashira_assets.lakehouse import dagster_instance

    instance = dagster_instance()
    if instance is None:
        raise RuntimeError("set DAGSTER_HOME to the Dagster UI's instance to follow its runs")
    before = None
    with instance:
        watcher = RunWatcher(instance, run_id)
        while True:
            now = watcher.look()
            for line in progress_lines(before, now):
                typer.echo(line)
            if on_world is not None and WORLD_ASSET in now.materialized_assets:
                on_world()
                on_world = None
            if now.finished:
                return now
            before = now
            time.sleep(poll_seconds)


def launch(
    job: Annotated[str, typer.Argument(help="The job to run, e.g. full_refresh.")] = "full_refresh",
    preset: Annotated[
        str | None,
        typer.Option(help="The world the Dagster UI was started for (default $HASHIRA_PRESET)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="The world's seed.")] = 42,
    host: Annotated[str, typer.Option(help="The Dagster webserver's address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The Dagster webserver's port.")] = 3000,
    max_concurrent: Annotated[int, typer.Option(help="Steps run side by side.")] = 2,
    follow_run: Annotated[
        bool, typer.Option("--follow/--no-follow", help="Print progress until the run ends.")
    ] = True,
    with_demo_accounts: Annotated[
        bool,
        typer.Option(
            "--demo-accounts/--no-demo-accounts",
            help="Create the demo sign-ins as soon as the run has generated the world.",
        ),
    ] = False,
) -> None:
    """Launch a job through the running Dagster UI (it shows the run live) and follow it."""
    from jobs.launch import LaunchError, LaunchRequest
    from jobs.launch import launch as submit

    try:
        request = LaunchRequest(
            job, preset or settings.default_preset(), seed=seed, max_concurrent=max_concurrent
        )
        run_id = submit(request, host=host, port=port)
    except (ValueError, LaunchError) as exc:
        _err(f"error: {exc}")
        raise typer.Exit(code=2) from exc
    typer.echo(f"launched {job} at preset {request.preset!r}: run {run_id}")
    typer.echo(f"watch it live: http://{host}:{port}/runs/{run_id}")
    if not follow_run:
        return
    started = time.monotonic()
    try:
        last = follow(run_id, on_world=demo_accounts if with_demo_accounts else None)
    except KeyboardInterrupt:
        _err(f"\nstopped following; the run goes on: http://{host}:{port}/runs/{run_id}")
        raise typer.Exit(code=130) from None
    took = duration_text(last.elapsed_seconds() or time.monotonic() - started)
    if last.status != "SUCCESS":
        _err(f"error: run {run_id} ended {last.status.lower()} after {took}; see the Dagster UI")
        raise typer.Exit(code=1)
    typer.echo(f"{job} succeeded in {took}: {len(last.materialized_assets)} assets materialized")
