"""`hashira bench pipeline`: each stage's wall time and peak memory as JSON, written as it goes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hashira_cli.main import app
from hashira_cli.pipeline_bench import progress_line, quality_figures

HASHIRA = str(Path(sys.executable).with_name("hashira"))


def test_a_childs_dagster_line_becomes_a_short_progress_line():
    line = (
        "2026-12-06 01:54:26 +0000 - dagster - INFO - __ephemeral_asset_job__ - 68fd5c5b - "
        "synthetic_world - events: 730/730 (100%) after 6s"
    )
    assert (
        progress_line("generate", line)
        == "generate | synthetic_world - events: 730/730 (100%) after 6s"
    )
    assert progress_line("generate", "12:00 WARN Utils: Set SPARK_LOCAL_IP") is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "huge"], "unknown preset 'huge'"),
        (["--stages", "generate,train"], "unknown stages ['train']"),
    ],
)
def test_bad_options_are_refused_before_anything_runs(args, message, tmp_path):
    result = CliRunner().invoke(
        app,
        ["bench", "pipeline", "--home", str(tmp_path), "--json", str(tmp_path / "x.json"), *args],
    )
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x.json").exists()


@pytest.mark.slow
def test_two_stages_at_tiny_are_measured_and_written(tmp_path):
    out = tmp_path / "pipeline.json"
    home = tmp_path / "home"
    result = subprocess.run(
        [HASHIRA, "bench", "pipeline", "--preset", "tiny", "--stages", "generate,land",
         "--home", str(home), "--json", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "generate | synthetic_world - " in result.stderr  # progress from the child
    report = json.loads(out.read_text())
    assert report["completed"] and report["preset"] == "tiny"
    assert list(report["stages"]) == ["generate", "land"]
    for stage in report["stages"].values():
        assert stage["ok"] and stage["wall_seconds"] > 0
        assert stage["peak_rss_mib"] >= stage["peak_python_rss_mib"] > 50
    assert (home / "raw" / "manifest.json").exists()
    assert (home / "lake" / "raw" / "products").exists()
    # No model was trained in these stages: no quality figures to report.
    assert report["quality"] == {} == quality_figures(home / "dagster_home")


def test_a_jvms_child_that_has_not_yet_execd_is_not_counted_twice():
    from hashira_cli.process_watch import split_rss

    java = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"
    gib = 2**30
    members = [
        (10, 1, "/work/.venv/bin/python3.11", 1 * gib),  # the driver
        (11, 10, java, 6 * gib),  # the Spark JVM
        (12, 11, java, 6 * gib),  # vforked by the JVM, before its exec: the JVM's own pages
        (13, 11, "/usr/bin/chmod", 2**20),  # one that has exec'd
        (14, 11, "/work/.venv/bin/python3.11", gib // 2),  # a PySpark worker
    ]
    assert split_rss(members) == (gib + 2**20 + gib // 2, 6 * gib)
