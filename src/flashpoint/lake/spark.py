"""Starting Spark for the lake's jobs."""

from __future__ import annotations

import os
import shutil
import sys
from typing import TYPE_CHECKING

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def spark_session(settings: Settings, /) -> SparkSession:
    """The Spark session of ``settings.spark_master`` (started, or the running one).

    Tasks run the Python that runs Flashpoint (``PYSPARK_PYTHON`` unless set), dates are UTC, and
    in local mode a shuffle has one partition per core, not Spark's 200.

    Raises
    ------
    InvalidInput
        When PySpark is not installed or no Java is found, saying what to install.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InvalidInput("engine 'spark' needs PySpark: pip install -e '.[spark]' in the checkout, and Java 17.") from None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise InvalidInput("engine 'spark' needs Java 17: install it (java on the PATH, or JAVA_HOME set).")
    # PySpark starts its Python workers with PYSPARK_PYTHON (else 'python3' on the PATH, which may
    # not have Flashpoint): the interpreter running Flashpoint, unless the user chose one.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(settings.spark_master)
        .appName("flashpoint")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    )
    if settings.spark_master.startswith("local"):
        builder = builder.config("spark.sql.shuffle.partitions", str(2 * (os.cpu_count() or 1)))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
