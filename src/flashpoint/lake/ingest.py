"""Ingest on Spark: files → a committed batch of the lake.

Each file is a Spark task: it is parsed where the task runs by the sources' own mapping
(:func:`flashpoint.store.ingest.ingest_paths`, in an embedded DuckDB of its own: the same
validation, quarantine reasons, event ids and confidence as the store), and its events and
quarantined rows are staged as Parquet. A Spark job then keeps each event once — the first
file's row when files repeat an event id, none already in the lake — and writes the batch's
new events by month; the clustering and the weekly counts run over the whole lake
(:mod:`flashpoint.lake.jobs`), and the manifest, written last, commits the batch. A file
whose checksum the lake holds is skipped, as the store skips it.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from flashpoint.config import Settings
from flashpoint.errors import FlashpointError, StoreError
from flashpoint.lake.folders import Lake, Manifest, lake_path
from flashpoint.sql import sql_string
from flashpoint.store.files import expand_paths
from flashpoint.store.ingest import IngestResult

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import DataFrame, SparkSession

    from flashpoint.sources.tabular import Reader

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Parsed:
    """What one task did with its file: its units' results and ``ingests`` rows (numbered in the
    task's own store), and the error that stopped it, if one did."""

    task: int
    results: tuple[IngestResult, ...]
    ingests: tuple[dict[str, object], ...]
    error: FlashpointError | None


def _parse(
    item: tuple[int, str],
    *,
    reader: Reader,
    forced: str,
    known: list[tuple[str, str, str]],
    staging: str,
    settings: Settings,
    threads: int,
) -> _Parsed:
    """A Spark task: ingest one file into an embedded store and stage its events and quarantined
    rows as Parquet (``staging``/events/task=N/, ``staging``/quarantine/task=N/). ``known``: the
    (source, checksum, format) of the files the lake holds, which are skipped."""
    import duckdb

    from flashpoint.store.ingest import ingest_paths
    from flashpoint.store.schema import create_schema

    task, path = item
    scratch = Path(staging) / f"scratch-{task:06d}"
    con = duckdb.connect(config={"memory_limit": settings.memory_limit, "temp_directory": str(scratch), "threads": threads})
    results: list[IngestResult] = []
    error = None
    try:
        create_schema(con)
        if known:
            con.executemany(
                "INSERT INTO ingests VALUES (?, ?, '', ?, ?, 0, 0, 0, 0, localtimestamp, localtimestamp)",
                [(-1 - i, source, checksum, kind) for i, (source, checksum, kind) in enumerate(known)],
            )
        try:
            ingest_paths(con, [path], reader=reader, forced=forced, on_file=lambda result, _size: results.append(result))
        except FlashpointError as exc:
            error = exc
        for table in ("events", "quarantine"):
            if con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]:
                folder = Path(staging) / table / f"task={task:06d}"
                folder.mkdir(parents=True)
                con.execute(f"COPY {table} TO {sql_string(str(folder / 'part.parquet'))} (FORMAT parquet)").fetchall()
        found = con.execute("SELECT * FROM ingests WHERE ingest_id > 0 ORDER BY ingest_id").fetchall()
        rows = [dict(zip([d[0] for d in con.description], row, strict=True)) for row in found]
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return _Parsed(task, tuple(results), tuple(rows), error)


def _parse_all(
    spark: SparkSession, lake: Lake, staging: Path, paths: list[str], /, *, reader: Reader, forced: str, settings: Settings
) -> list[_Parsed]:
    """Parse every file in a Spark task of its own (:func:`_parse`), staging their rows; the tasks
    up to the first that stopped at an error (:func:`_until_error`)."""
    known = [(str(row["source"]), str(row["checksum"]), str(row["format"])) for m in lake.manifests() for row in m.ingests]
    task = partial(
        _parse,
        reader=reader,
        forced=forced,
        known=known,
        staging=str(staging),
        settings=settings,
        threads=1 if len(paths) > 1 else settings.threads or os.cpu_count() or 1,
    )
    return _until_error(spark.sparkContext.parallelize(list(enumerate(paths)), len(paths)).map(task).collect())


def _reserve_ids(con: duckdb.DuckDBPyConnection, lake: Lake, count: int, /) -> list[int]:
    """``count`` new ingest ids, above every id of the lake, taken from the store's sequence
    (which moves past them, so the store's own ingests of auxiliary tables never take one)."""
    highest = max((int(row["ingest_id"]) for m in lake.manifests() for row in m.ingests), default=0)
    first = max(con.execute("SELECT nextval('ingest_ids')").fetchall()[0][0], highest + 1)
    last = first + count - 1
    current = con.execute("SELECT currval('ingest_ids')").fetchall()[0][0]
    if last > current:
        con.execute("SELECT max(nextval('ingest_ids')) FROM range(?)", [last - current])
    return list(range(first, last + 1))


def _lake_rows(spark: SparkSession, folders: list[Path], /) -> DataFrame | None:
    """The rows of the Parquet folders (their partition folders read as plain folders); None when
    they hold no file (a batch whose rows the lake held already writes none)."""
    folders = [f for f in folders if f.is_dir() and next(f.rglob("*.parquet"), None) is not None]
    if not folders:
        return None
    return spark.read.option("recursiveFileLookup", "true").parquet(*[str(f) for f in folders])


def _renumbered(spark: SparkSession, staged: Path, ids: dict[tuple[int, int], int], columns: list[str] | None, /) -> DataFrame:
    """A staged table of the kept tasks, its task-local ingest ids replaced by the lake's."""
    from pyspark.sql import functions as sf

    rows = spark.read.parquet(str(staged))
    numbers = spark.createDataFrame([(t, local, new) for (t, local), new in ids.items()], "task INT, local BIGINT, new BIGINT")
    joined = rows.join(sf.broadcast(numbers), (rows.task == numbers.task) & (rows.ingest_id == numbers.local))
    names = columns or [c for c in rows.columns if c != "task"]
    return joined.select(*[(sf.col("new") if name == "ingest_id" else rows[name]).alias(name) for name in names])


def _store_events(spark: SparkSession, lake: Lake, batch: int, staged: DataFrame, /) -> dict[int, int]:
    """Write the staged events not yet in the lake, the first file's row of an id repeated
    across files, by month into the batch's folder; returns the rows stored per ingest id."""
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    stored = _lake_rows(spark, lake.event_folders())
    if stored is not None:
        staged = staged.join(stored.select("event_id"), "event_id", "left_anti")
    first = Window.partitionBy("event_id").orderBy("ingest_id")
    kept = staged.withColumn("_n", sf.row_number().over(first)).filter("_n = 1").drop("_n")
    folder = lake.folder("events", batch)
    (
        kept.withColumn("month", sf.date_format("event_date", "yyyy-MM"))
        .repartition("month")
        .sortWithinPartitions("pair", "event_date", "event_id")
        .write.partitionBy("month")
        .parquet(str(folder))
    )
    written = _lake_rows(spark, [folder])
    return {} if written is None else {r["ingest_id"]: r["count"] for r in written.groupBy("ingest_id").count().collect()}


def _settled_tables(spark: SparkSession, lake: Lake, batch: int, settings: Settings, /) -> dict[str, str | None]:
    """Cluster every event of the lake (its committed batches and this one, which stored some) and
    count every pair's weeks, into the batch's folders; the tables' folders relative to the lake."""
    from flashpoint.lake.jobs import cluster_job, clustered, pair_weeks_job

    events = _lake_rows(spark, [*lake.event_folders(), lake.folder("events", batch)])
    log.info("clustering the lake's events into incidents and counting every pair's weeks")
    clusters, weeks = lake.folder("clusters", batch), lake.folder("pair_weeks", batch)
    cluster_job(spark, events, settings).write.parquet(str(clusters))
    pair_weeks_job(spark, clustered(events, spark.read.parquet(str(clusters)))).coalesce(1).write.parquet(str(weeks))
    return {"clusters": str(clusters.relative_to(lake.root)), "pair_weeks": str(weeks.relative_to(lake.root))}


def _ingests_rows(parsed: list[_Parsed], ids: dict[tuple[int, int], int], kept: dict[int, int], /) -> list[dict[str, object]]:
    """The batch's ``ingests`` rows: lake ids, and the rows a task stored that an earlier file (or
    the lake) holds counted as duplicates."""
    rows = []
    for task in parsed:
        for row in task.ingests:
            new = ids[(task.task, row["ingest_id"])]
            stored = kept.get(new, 0)
            rows.append(
                {
                    **row,
                    "ingest_id": new,
                    "rows_stored": stored,
                    "rows_duplicate": row["rows_duplicate"] + row["rows_stored"] - stored,
                }
            )
    return rows


def _until_error(parsed: list[_Parsed], /) -> list[_Parsed]:
    """The tasks up to the first that stopped at an error: as in the store, the files before a
    file that cannot be ingested stay ingested, and those after it are not."""
    for index, task in enumerate(parsed):
        if task.error is not None:
            return parsed[: index + 1]
    return parsed


def _commit(
    con: duckdb.DuckDBPyConnection, spark: SparkSession, lake: Lake, parsed: list[_Parsed], settings: Settings, /
) -> list[IngestResult]:
    """Store the tasks' staged rows as one batch of the lake and commit it (its manifest last)."""
    from flashpoint.events.schema import EVENT_COLUMNS

    new = [(task.task, row["ingest_id"]) for task in parsed for row in task.ingests]
    results = [result for task in parsed for result in task.results]
    log.info("%d file(s) parsed on Spark, %d new", len(results), len(new))
    if not new:
        return results
    batch = lake.next_batch()
    staging = lake.folder("_staging", batch)
    ids = dict(zip(new, _reserve_ids(con, lake, len(new)), strict=True))
    tables: dict[str, str | None] = {"events": None, "quarantine": None}
    kept: dict[int, int] = {}
    if (staging / "events").is_dir():
        kept = _store_events(spark, lake, batch, _renumbered(spark, staging / "events", ids, [n for n, _, _ in EVENT_COLUMNS]))
        tables["events"] = str(lake.folder("events", batch).relative_to(lake.root)) if kept else None
    if (staging / "quarantine").is_dir():
        folder = lake.folder("quarantine", batch)
        _renumbered(spark, staging / "quarantine", ids, None).coalesce(1).write.parquet(str(folder))
        tables["quarantine"] = str(folder.relative_to(lake.root))
    if kept:
        tables.update(_settled_tables(spark, lake, batch, settings))
    else:  # nothing new to cluster or count: the tables of the batch before stay current
        tables.update(
            {t: None if (f := lake.current(t)) is None else str(f.relative_to(lake.root)) for t in ("clusters", "pair_weeks")}
        )
    rows = _ingests_rows(parsed, ids, kept)
    log.info("committing batch %d of the lake %s", batch, lake.root)
    lake.commit(Manifest(batch, tuple(rows), tables))
    by_id = {row["ingest_id"]: row for row in rows}
    return [
        result if result.ingest_id is None else _as_stored(result, by_id[ids[(task.task, result.ingest_id)]])
        for task in parsed
        for result in task.results
    ]


def _as_stored(result: IngestResult, row: dict[str, object], /) -> IngestResult:
    """A task's result of a file as the lake stored it: its ``ingests`` row's id and counts."""
    return replace(result, ingest_id=row["ingest_id"], rows_stored=row["rows_stored"], rows_duplicate=row["rows_duplicate"])


def _last_line(message: str, /) -> str:
    """The last line of a Spark error that says something (its Python error, not the JVM's stack)."""
    lines = [line.strip() for line in message.splitlines() if line.strip() and not line.strip().startswith("at ")]
    errors = [line for line in lines if "Error" in line or "Exception" in line]
    return (errors or lines or [message])[-1][:400]


def ingest_to_lake(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    patterns: list[str],
    /,
    *,
    reader: Reader,
    forced: str = "auto",
    on_start: Callable[[str, int], None] | None = None,
) -> list[IngestResult]:
    """Ingest event files into the lake of ``settings`` on Spark, one task per file, and let the
    store of ``con`` read the lake (:func:`flashpoint.lake.store_view.read_lake`).

    Parameters
    ----------
    con : the store (written: its view of the lake, its ingest ids).
    settings : the Spark master, the lake, the store's memory limit for each task.
    patterns : paths, glob patterns or folders.
    reader : a source of events (see :func:`flashpoint.store.ingest.ingest_paths`).
    forced : format name to force instead of auto-detection.
    on_start : called once with what runs and the files' total size in bytes (progress).

    Returns
    -------
    list of IngestResult, one per file or zip member, numbered as the lake numbers them.

    Raises
    ------
    InvalidInput, UnknownFormat, StoreError
        When a path matches nothing, Spark cannot start, or the store holds events of its own;
        for a file that is not in the reader's format, after the files before it were committed.
    """
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    from flashpoint.lake.spark import spark_session
    from flashpoint.lake.store_view import check_store, read_lake

    check_store(con)
    paths = [str(p) for p in expand_paths(patterns)]
    lake = Lake(lake_path(settings))
    for removed in lake.clean():
        log.warning("removed %s, left by an interrupted ingest", removed)
    spark = spark_session(settings)
    if on_start is not None:
        on_start(f"{len(paths)} file(s) on Spark ({settings.spark_master})", sum(Path(p).stat().st_size for p in paths))
    staging = lake.staging(lake.next_batch())
    try:
        parsed = _parse_all(spark, lake, staging, paths, reader=reader, forced=forced, settings=settings)
        results = _commit(con, spark, lake, parsed, settings)
    except (PySparkException, Py4JJavaError) as exc:
        raise StoreError(
            f"a Spark job failed, and nothing of this ingest was committed to the lake {lake.root}: "
            f"{_last_line(str(exc))}. Run the command again with --verbose after fixing the cause."
        ) from exc
    shutil.rmtree(staging, ignore_errors=True)
    read_lake(con, settings, lake)
    if parsed and parsed[-1].error is not None:
        raise parsed[-1].error
    return results
