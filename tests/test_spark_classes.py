"""The Spark driver's class-data archive (`resources/spark_classes.py`): where it is, when a
session maps it in, and the command that writes it."""

from __future__ import annotations

import sys

from typer.testing import CliRunner

from hashira_cli.main import app
from resources import spark_classes
from resources.spark import (
    ProjectSparkResource,
    make_spark_resource,
    spark_config,
    with_class_archive,
)


def test_the_archive_is_named_by_the_jvm_it_was_written_by(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    system_java = spark_classes.class_archive_path()
    assert system_java is not None and system_java.parent == tmp_path / "share" / "hashira"
    other = tmp_path / "jdk"
    (other / "bin").mkdir(parents=True)
    (other / "bin" / "java").write_bytes(b"another JVM")
    monkeypatch.setenv("JAVA_HOME", str(other))
    assert spark_classes.class_archive_path() not in (None, system_java)


def test_a_session_maps_the_archive_in_only_once_it_exists(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    config = spark_config()
    assert with_class_archive(config) == config
    archive = spark_classes.class_archive_path()
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"")
    mapped = with_class_archive(config)
    options = mapped["spark.driver.extraJavaOptions"]
    assert options.endswith(f" -XX:SharedArchiveFile={archive}")
    assert options.startswith(config["spark.driver.extraJavaOptions"])
    # Looked up as the session starts; executors (a standalone cluster's machines) never get it.
    assert "SharedArchiveFile" not in spark_config()["spark.driver.extraJavaOptions"]
    assert mapped["spark.executor.extraJavaOptions"] == config["spark.executor.extraJavaOptions"]
    assert isinstance(make_spark_resource(), ProjectSparkResource)


def test_the_command_leaves_an_existing_archive_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    archive = spark_classes.class_archive_path()
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"kept")
    result = CliRunner().invoke(app, ["spark-classes"])
    assert result.exit_code == 0, result.output
    assert "already there" in result.output
    assert archive.read_bytes() == b"kept"


def test_the_command_says_when_there_is_no_java(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    result = CliRunner().invoke(app, ["spark-classes"])
    assert result.exit_code == 1
    assert "no Java found" in result.output
