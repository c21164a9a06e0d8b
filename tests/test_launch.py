"""Launching a job through the Dagster UI's webserver (`hashira launch`, `make demo`) and reading
a run's progress back (`hashira_serving.build_status`, the app's "being built now")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from hashira_cli.launch import follow, progress_lines
from hashira_serving.build_status import (
    RunEvents,
    RunProgress,
    RunWatcher,
    active_run_id,
    duration_text,
    run_progress,
)
from jobs.launch import LaunchError, LaunchRequest, launch
from tests.support.background import background_process, free_port, wait_for_http

REPO = Path(__file__).resolve().parents[1]


def progress(**changes) -> RunProgress:
    values = {
        "run_id": "r1",
        "job_name": "full_refresh",
        "status": "STARTED",
        "started_at": 1000.0,
        "ended_at": None,
        "steps_total": 4,
        "steps_done": (),
        "steps_running": (),
        "steps_failed": (),
        "planned_assets": frozenset({"a", "b"}),
        "materialized_assets": frozenset(),
    }
    return RunProgress(**{**values, **changes})


def test_a_launch_request_covers_the_worlds_days_and_runs_steps_side_by_side():
    request = LaunchRequest("full_refresh", "tiny", max_concurrent=2)
    tags = request.tags()
    assert tags["dagster/asset_partition_range_start"] == "2026-07-04"
    assert tags["dagster/asset_partition_range_end"] == "2026-10-31"
    assert tags["hashira/preset"] == "tiny"
    executor = request.run_config()["execution"]["config"]["multiprocess"]
    assert executor == {
        "max_concurrent": 2,
        "start_method": {
            "forkserver": {
                "preload_modules": ["hashira_assets.definitions", "resources.dagster_preload"]
            }
        },
    }


def test_the_preloaded_modules_leave_a_steps_first_open_of_the_instance_little_to_import(tmp_path):
    """A step forked from the run's server opens the instance before its work: with the preload,
    that first open imports a handful of modules (371, in 2.6 s on a 2-core Zen 3, without it)."""
    (tmp_path / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())  # SQLite here
    code = (
        "import sys\n"
        "import resources.dagster_preload as preload\n"
        "from dagster import DagsterInstance\n"
        "from dagster._core.instance.ref import InstanceRef\n"
        "before = set(sys.modules)\n"
        f"with DagsterInstance.from_ref(InstanceRef.from_dir({str(tmp_path)!r})) as instance:\n"
        "    instance.get_runs(limit=1)\n"
        "print(len(set(sys.modules) - before), ' '.join(preload.PRELOADED))\n"
    )
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
        cwd=REPO, timeout=300,
    )  # fmt: skip
    imported, preloaded = out.stdout.split(maxsplit=1)
    assert "resources.dagster_sqlite" in preloaded.split()
    assert int(imported) <= 10, out.stdout


@pytest.mark.parametrize(
    ("job", "preset", "concurrent", "message"),
    [
        ("nightly_everything", "tiny", 2, "unknown job 'nightly_everything'"),
        ("full_refresh", "tiny", 0, "max_concurrent must be at least 1"),
        ("full_refresh", "huge", 2, "unknown preset 'huge'"),
    ],
)
def test_a_bad_launch_request_is_refused_with_the_reason(job, preset, concurrent, message):
    with pytest.raises(ValueError, match=message):
        LaunchRequest(job, preset, max_concurrent=concurrent).tags()


def test_launching_without_a_webserver_says_it_cannot_reach_it():
    with pytest.raises(LaunchError, match=r"cannot reach the Dagster webserver on 127\.0\.0\.1"):
        launch(LaunchRequest("reindex", "tiny"), port=free_port())


def test_progress_lines_name_what_started_ended_and_failed():
    before = progress(steps_running=("silver_events",))
    now = progress(
        steps_done=("silver_events",),
        steps_running=("gold_tables",),
        steps_failed=("forecaster_model",),
        status="FAILURE",
        ended_at=1125.0,
    )
    lines = progress_lines(before, now)
    assert lines == [
        "[2 min 05 s] started  gold_tables",
        "[2 min 05 s] done     silver_events (1/4 steps)",
        "[2 min 05 s] FAILED   forecaster_model",
        "[2 min 05 s] run failure",
    ]
    assert progress_lines(now, now) == []


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0 s"), (59.9, "59 s"), (61, "1 min 01 s"), (3725, "1 h 02 min")]
)
def test_durations_read_at_a_glance(seconds, text):
    assert duration_text(seconds) == text


def test_a_run_builds_what_it_planned_until_it_is_materialized():
    run = progress(materialized_assets=frozenset({"a"}))
    assert not run.builds("a")  # done
    assert run.builds("b")  # planned, not yet done
    assert not run.builds("c")  # not in this run
    assert "0 of 4 steps done" in run.summary(now=1030.0)
    assert progress(status="QUEUED").summary(now=1000.0).startswith("queued")


@dg.asset
def first_table() -> int:
    return 1


@dg.asset
def second_table(first_table: int) -> int:
    return first_table + 1


def test_run_progress_reads_steps_and_assets_from_the_instance():
    with dg.instance_for_test() as instance:
        result = dg.materialize([first_table, second_table], instance=instance)
        run = run_progress(instance, result.run_id)
        assert run.finished and run.status == "SUCCESS"
        assert run.steps_total == 2
        assert sorted(run.steps_done) == ["first_table", "second_table"]
        assert run.steps_running == () and run.steps_failed == ()
        assert run.planned_assets == {"first_table", "second_table"}
        assert run.materialized_assets == {"first_table", "second_table"}
        assert active_run_id(instance) is None
        with pytest.raises(LookupError, match="no run nope"):
            run_progress(instance, "nope")


def test_a_watcher_reads_each_event_once_and_agrees_with_a_fresh_look(monkeypatch):
    with dg.instance_for_test() as instance:
        result = dg.materialize([first_table, second_table], instance=instance)
        watcher = RunWatcher(instance, result.run_id)
        pages = []
        read_page = instance.get_records_for_run

        def counted(*args, **kwargs):
            page = read_page(*args, **kwargs)
            pages.append(len(page.records))
            return page

        monkeypatch.setattr(instance, "get_records_for_run", counted)
        first = watcher.look()
        again = watcher.look()
        assert first == again == run_progress(instance, result.run_id)
        assert pages[0] > 0 and pages[1] == 0  # the second look read nothing again


def test_steps_move_from_running_to_done_or_failed_as_events_arrive():
    from types import SimpleNamespace

    def event(kind, step=None, asset=None):
        key = None if asset is None else dg.AssetKey(asset)
        return SimpleNamespace(event_type_value=kind, step_key=step, asset_key=key)

    events = RunEvents()
    for e in [
        event("STEP_START", "a"),
        event("STEP_START", "b"),
        event("ASSET_MATERIALIZATION_PLANNED", "a", "table_a"),
        None,  # a plain log line
        event("STEP_SUCCESS", "a"),
        event("ASSET_MATERIALIZATION", "a", "table_a"),
    ]:
        events.apply(e)
    assert list(events.running) == ["b"] and list(events.done) == ["a"]
    events.apply(event("STEP_FAILURE", "b"))
    assert not events.running and list(events.failed) == ["b"]
    assert events.planned == events.materialized == {"table_a"}


@pytest.mark.integration
def test_a_launch_through_the_webserver_queues_the_job_with_its_days(tmp_path, monkeypatch):
    """The real webserver of workspace.yaml takes the run; without a daemon it stays queued, so
    the test sees exactly what `make demo` submits (and nothing runs)."""
    port = free_port()
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    env = {
        "DAGSTER_HOME": str(dagster_home),
        "HASHIRA_HOME": str(tmp_path),
        "HASHIRA_PRESET": "tiny",
    }
    webserver = Path(sys.executable).with_name("dagster-webserver")
    args = [str(webserver), "-w", str(REPO / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)]
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    with background_process(args, tmp_path / "webserver.log", env=env) as process:
        wait_for_http(f"http://127.0.0.1:{port}/server_info", timeout=120, process=process)
        with pytest.raises(LaunchError, match="refused"):
            # A job the location does not have: the webserver's own error comes back.
            launch(_bypassing_validation("no_such_job"), port=port)
        run_id = launch(LaunchRequest("reindex", "tiny"), port=port)
        with dg.DagsterInstance.get() as instance:
            run = instance.get_run_by_id(run_id)
            assert run.job_name == "reindex"
            assert run.status == dg.DagsterRunStatus.QUEUED
            assert run.tags["dagster/asset_partition_range_end"] == "2026-10-31"
            assert run.run_config["execution"]["config"]["multiprocess"]["max_concurrent"] == 2
            assert active_run_id(instance) == run_id
            queued = run_progress(instance, run_id)
            assert not queued.finished and queued.summary().startswith("queued")


def _bypassing_validation(job_name: str) -> LaunchRequest:
    """A request for a job the project does not define (LaunchRequest itself refuses one)."""
    request = object.__new__(LaunchRequest)
    object.__setattr__(request, "job_name", job_name)
    object.__setattr__(request, "preset", "tiny")
    object.__setattr__(request, "seed", 42)
    object.__setattr__(request, "max_concurrent", 2)
    return request


@dg.asset(name="customers")
def world_customers() -> int:
    return 3


def test_following_a_run_prints_its_steps_and_makes_the_demo_sign_ins_once(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    calls = []
    with dg.DagsterInstance.get() as instance:
        run_id = dg.materialize([world_customers, first_table], instance=instance).run_id
    last = follow(run_id, poll_seconds=0, on_world=lambda: calls.append("accounts"))
    assert last.status == "SUCCESS" and calls == ["accounts"]
    printed = capsys.readouterr().out
    # Its first look finds the run over: both steps are listed as done.
    assert "done     customers (2/2 steps)" in printed
    assert "done     first_table (2/2 steps)" in printed
