"""Spark for the lakehouse layers: dagster-pyspark's PySparkResource with settings for this size
of machine, and the same session builder for code that runs outside Dagster (tests, benchmarks).

The master comes from HASHIRA_SPARK_MASTER (default `local[*]`); `spark://host:7077` runs the same
code on a standalone cluster. One session is reused within a process (getOrCreate).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from dagster import InitResourceContext
from dagster_pyspark import PySparkResource
from dagster_pyspark.resources import spark_session_from_config

from resources.spark_classes import class_archive_option

LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")


def spark_master() -> str:
    return os.environ.get("HASHIRA_SPARK_MASTER", "local[*]")


def spark_config(master: str | None = None, driver_memory: str = "6g") -> dict[str, Any]:
    """Spark settings for a 2-core, 24 GiB machine: few shuffle partitions, quiet logs, UTC."""
    java_options = f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG}"
    return {
        "spark.master": master or spark_master(),
        "spark.app.name": "hashiramart",
        "spark.driver.memory": driver_memory,
        "spark.executor.memory": "4g",
        "spark.driver.extraJavaOptions": java_options,
        "spark.executor.extraJavaOptions": java_options,
        # A handful of partitions suits 2 cores; adaptive execution coalesces the rest.
        "spark.sql.shuffle.partitions": "8",
        "spark.default.parallelism": "4",
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        # List hundreds of daily partition folders in the driver instead of launching a job.
        "spark.sql.sources.parallelPartitionDiscovery.threshold": "100000",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.compression.codec": "zstd",
        # Daily partitions mean hundreds of small files per write: commit them in one rename
        # step, and skip the local file system's .crc side files.
        "spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version": "2",
        "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
        "spark.ui.enabled": "false",
        # Everything runs on this machine's loopback unless a cluster master says otherwise.
        "spark.driver.host": os.environ.get("HASHIRA_SPARK_DRIVER_HOST", "127.0.0.1"),
        "spark.driver.bindAddress": os.environ.get("HASHIRA_SPARK_BIND_ADDRESS", "127.0.0.1"),
        "spark.ui.showConsoleProgress": "false",
        "spark.pyspark.python": sys.executable,
        "spark.pyspark.driver.python": sys.executable,
    }


def with_class_archive(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with the driver's JVM mapping in the class archive, when this environment has one
    (`spark_classes`). Looked up as a session starts, not when the definitions load: the archive
    is written in the background while the demo's servers start."""
    option = class_archive_option()
    if not option:
        return config
    driver_options = f"{config.get('spark.driver.extraJavaOptions', '')} {option}".strip()
    return {**config, "spark.driver.extraJavaOptions": driver_options}


class ProjectSparkResource(PySparkResource):
    """dagster-pyspark's resource, its session started with the class archive when there is one."""

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._spark_session = spark_session_from_config(with_class_archive(self.spark_config))


def make_spark_resource(master: str | None = None) -> PySparkResource:
    """The Dagster resource assets receive as `pyspark`."""
    return ProjectSparkResource(spark_config=spark_config(master))


def get_spark_session(master: str | None = None):
    """A SparkSession with the project's settings (the running one if there is one)."""
    session = spark_session_from_config(with_class_archive(spark_config(master)))
    session.sparkContext.setLogLevel("WARN")
    return session
