"""The lake's Spark jobs: events into incidents, and every pair's weekly counts.

Neither is a second implementation. The clustering is the store's own SQL
(:func:`flashpoint.store.dedup.clusters_sql`, DuckDB's dialect) rendered for Spark by sqlglot;
the weekly counts are the indicators' Ibis expression
(:func:`flashpoint.indicators.counting.pair_periods`) compiled for Spark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flashpoint.config import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def spark_sql(duckdb_sql: str, /) -> str:
    """DuckDB SQL rendered in Spark's dialect."""
    import sqlglot

    return sqlglot.transpile(duckdb_sql, read="duckdb", write="spark")[0]


def cluster_job(spark: SparkSession, events: DataFrame, settings: Settings, /) -> DataFrame:
    """Every event's incident: (event_id, cluster_id, cluster_size), as the store's deduplication
    assigns them when it clusters the whole store (docs/dedup.md)."""
    from pyspark.sql import functions as sf

    from flashpoint.store.dedup import clusters_sql

    events.createOrReplaceTempView("lake_rows")
    assigned = spark.sql(spark_sql(clusters_sql(settings, "(SELECT event_id AS row_id, * FROM lake_rows)")))
    # The rows that name no country anywhere stand alone, as in the store.
    return (
        events.select("event_id")
        .join(assigned.withColumnRenamed("row_id", "event_id"), "event_id", "left")
        .select(
            "event_id",
            sf.coalesce("cluster_id", "event_id").alias("cluster_id"),
            sf.coalesce("cluster_size", sf.lit(1)).cast("int").alias("cluster_size"),
        )
    )


def clustered(events: DataFrame, clusters: DataFrame, /) -> DataFrame:
    """``events`` with the cluster columns of ``clusters``, in the events' column order."""
    from pyspark.sql import functions as sf

    joined = events.drop("cluster_id", "cluster_size").join(clusters, "event_id", "left")
    return joined.select(*[sf.col(name) for name in events.columns])


def pair_weeks_job(spark: SparkSession, events: DataFrame, /) -> DataFrame:
    """Every pair's weekly counts, the store's ``pair_weeks`` (pair, week, each indicator's
    weighted incidents and confident incidents, all incidents) from clustered ``events``."""
    import ibis
    from pyspark.sql import functions as sf

    from flashpoint.indicators.counting import pair_periods
    from flashpoint.indicators.query import IndicatorQuery
    from flashpoint.store.schema import lookup_tables

    spark.createDataFrame(lookup_tables()["cameo_codes"].to_pandas()).createOrReplaceTempView("cameo_codes")
    events.createOrReplaceTempView("lake_events")
    backend = ibis.pyspark.connect(spark)
    counted = spark.sql(ibis.to_sql(pair_periods(backend.table("lake_events"), IndicatorQuery(freq="week")), dialect="pyspark"))
    others = [name for name in counted.columns if name not in ("pair", "period")]
    return counted.select("pair", sf.to_date("period").alias("period"), *others)
