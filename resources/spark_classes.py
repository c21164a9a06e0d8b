"""A class-data archive for the Spark driver's JVM: the classes a session loads, parsed once per
machine and mapped into every later JVM instead of being read from Spark's jars again.

Every step of the graph that uses Spark starts its own JVM, and a JVM starting Spark loads
thousands of classes from a few hundred jars. On a 2-core Zen 3 a session took 12.8-14.3 s to
start and its first job 4.9-5.7 s; with the archive, 7.4-8.8 s and 2.2-2.8 s. The archive is
written once (`hashira spark-classes`, which `make setup` and `make demo` start in the background)
by a session that exercises what the graph's steps do, with the JVM's `-XX:ArchiveClassesAtExit`;
sessions started once it is there get `-XX:SharedArchiveFile` (`spark.with_class_archive`).
It lives in the virtual environment, named by what it depends on (the JVM, pyspark's version and
the jars' folder): a JVM that finds it does not match says so and starts as it would without it.
Executors of a standalone cluster are unaffected.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyspark

SPARK_JARS = Path(pyspark.__file__).parent / "jars"


def java_binary() -> Path | None:
    """The `java` that pyspark starts: JAVA_HOME's, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    found = Path(home) / "bin" / "java" if home else shutil.which("java")
    return Path(found).resolve() if found and Path(found).exists() else None


def class_archive_path() -> Path | None:
    """Where this environment's archive is (whether or not it exists yet); None without Java."""
    java = java_binary()
    if java is None:
        return None
    stat = java.stat()
    identity = f"{java}|{stat.st_size}|{stat.st_mtime_ns}|{pyspark.__version__}|{SPARK_JARS}"
    key = hashlib.sha256(identity.encode()).hexdigest()[:12]
    return Path(sys.prefix) / "share" / "hashira" / f"spark-classes-{key}.jsa"


def class_archive_option() -> str:
    """The driver's JVM option that maps the archive in, or "" when there is none yet."""
    path = class_archive_path()
    return f"-XX:SharedArchiveFile={path}" if path is not None and path.exists() else ""


def exercise(spark, folder: Path) -> None:
    """What the graph's Spark steps do, small: Parquet written by day and read back, a shuffle,
    a join, a window, a distinct count, so that their classes are in the archive."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    days = spark.range(2000).select(
        (F.col("id") % 50).alias("customer_id"),
        (F.col("id") % 17).alias("product_id"),
        F.date_add(F.lit("2026-01-01").cast("date"), (F.col("id") % 7).cast("int")).alias("day"),
        (F.rand(0) * 100).alias("amount"),
    )
    path = str(folder / "events")
    days.write.mode("overwrite").partitionBy("day").parquet(path)
    events = spark.read.parquet(path)
    products = spark.range(17).select(
        F.col("id").alias("product_id"), F.concat(F.lit("p"), F.col("id")).alias("name")
    )
    window = Window.partitionBy("customer_id").orderBy(F.desc("amount"))
    ranked = (
        events.join(F.broadcast(products), "product_id")
        .groupBy("customer_id", "name", "day")
        .agg(F.sum("amount").alias("amount"), F.countDistinct("product_id").alias("n"))
        .withColumn("rank", F.row_number().over(window))
    )
    ranked.filter(F.col("rank") <= 3).write.mode("overwrite").parquet(str(folder / "ranked"))
    spark.read.parquet(str(folder / "ranked")).count()


def write_class_archive(progress=print) -> Path:
    """Write the archive unless it exists; returns its path. Raises RuntimeError when this JVM
    wrote none (a JVM without class-data sharing)."""
    from dagster_pyspark.resources import spark_session_from_config
    from pyspark import SparkContext

    from resources.spark import spark_config

    target = class_archive_path()
    if target is None:
        raise RuntimeError("no Java found (JAVA_HOME or java on PATH); Spark needs Java 17")
    if target.exists():
        progress(f"Spark class archive: {target} (already there)")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed when the JVM has exited: a session starting meanwhile
    # sees no archive rather than half of one.
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    config = spark_config()
    # Quiet: the dump names every class it skips (those of signed jars) as a warning.
    config["spark.driver.extraJavaOptions"] += (
        f" -XX:ArchiveClassesAtExit={partial} -Xlog:cds=error"
    )
    started = time.monotonic()
    spark = spark_session_from_config(config)
    jvm = SparkContext._gateway.proc  # the driver's JVM, which writes the archive as it exits
    try:
        with tempfile.TemporaryDirectory() as folder:
            exercise(spark, Path(folder))
    finally:
        spark.stop()
        jvm.stdin.close()  # the JVM exits when its stdin closes
        jvm.wait(timeout=600)
    if not partial.exists():
        raise RuntimeError(f"the JVM wrote no class archive at {partial}")
    partial.rename(target)
    size = target.stat().st_size / 2**20
    progress(f"Spark class archive: {target} ({size:.0f} MiB, {time.monotonic() - started:.0f} s)")
    return target
