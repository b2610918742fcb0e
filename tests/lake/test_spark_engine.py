"""The Spark engine against the DuckDB engine on the same real files: ingest → deduplication →
pair weeks → alerts give identical stores, and every command reads the lake as it reads a store
(docs/adr/029). Spark runs in local mode on two cores."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import duckdb
import httpx
import pytest
from typer.testing import CliRunner

from flashpoint.cli import app
from flashpoint.config import Settings
from flashpoint.errors import InvalidInput, StoreError, UnknownFormat
from flashpoint.lake.folders import Lake
from flashpoint.refresh import ingest_files
from flashpoint.sources import get_source
from flashpoint.store.connection import open_store
from tests.conftest import kill_at

# PySpark 4.0's conversion to pandas uses options that pandas 3 deprecates, and Py4J leaves its
# sockets to the collector; nothing of the project's is concerned.
pytestmark = [
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
    pytest.mark.filterwarnings("ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

#: The real files of the conformance run, by source, in the order they are ingested (each a batch);
#: ICEWS is cut to its first rows (:func:`_icews_rows`).
FILES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gdelt", tuple(f"gdelt1_georgia_2011_2013/{n}.csv" for n in ("aug2011", "nov2011", "mar2012", "aug2012"))),
    (
        "gdelt",
        (
            "gdelt_raw_samples/gdelt2_export_20170701234500_gdeltPyR.csv",
            "gdelt_raw_samples/gdelt1_daily_20160728_sample_reed9999.tsv",
        ),
    ),
    ("acled", ("acled_acledR/acled_old_dummy.csv",)),
)
ICEWS = "icews_events_2012_2015/icews05-15_2012-08-07_to_2014-06-16.tsv"
#: The day up to which the conformance run raises alerts (the warning model's first origins).
ALERTS_UNTIL = "2013-03-31"
#: The store's tables the engines must fill alike.
TABLES = ("events", "quarantine", "ingests", "pair_weeks", "alerts", "pair_timelines")
#: Columns that say when a row was written, not what it holds.
CLOCK = {"started", "finished", "raised_at", "created_at"}


def _flawed_file(shared: Path, folder: Path) -> Path:
    """A GDELT 1.0 export of 42 real rows (CSV with a header): one with a broken date and one with
    a Goldstein value out of range (quarantined), one repeated within the file and one repeating
    an event of aug2011.csv (a duplicate across files)."""
    georgia = shared / "gdelt1_georgia_2011_2013"
    rows = list(csv.reader(io.StringIO((georgia / "sept2012.csv").read_text(encoding="utf-8"))))[:41]
    rows[4][1] = "20121399"
    rows[8][30] = "42"
    rows.append(rows[10])
    rows.append(list(csv.reader(io.StringIO((georgia / "aug2011.csv").read_text(encoding="utf-8"))))[6])
    text = io.StringIO()
    csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    path = folder / "flawed.csv"
    path.write_text(text.getvalue(), encoding="utf-8")
    return path


def _icews_rows(shared: Path, folder: Path) -> Path:
    """The first 10,000 ICEWS events of 2012-08 on (real rows, cut to keep the run short)."""
    path = folder / "icews_2012.tsv"
    path.write_text("".join((shared / ICEWS).read_text(encoding="utf-8").splitlines(keepends=True)[:10_000]), encoding="utf-8")
    return path


def _batches(shared: Path, folder: Path) -> list[tuple[str, list[str]]]:
    return [(source, [str(shared / p) for p in paths]) for source, paths in FILES] + [
        ("icews", [str(_icews_rows(shared, folder))]),
        ("gdelt", [str(_flawed_file(shared, folder))]),
    ]


def _ingest(settings: Settings, batches: list[tuple[str, list[str]]]) -> None:
    with open_store(settings) as con:
        for source, paths in batches:
            ingest_files(con, settings, paths, reader=get_source(source))


def _timeless(answer: object) -> object:
    """A JSON answer without the clock's columns (when an alert was raised)."""
    if isinstance(answer, dict):
        return {k: _timeless(v) for k, v in answer.items() if k not in CLOCK}
    if isinstance(answer, list):
        return [_timeless(v) for v in answer]
    return answer


def _run(db: Path, *command: str) -> str:
    result = CliRunner().invoke(app, ["--db", str(db), *command], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def stores(spark_available, shared_data: Path, tmp_path_factory) -> dict[str, Settings]:  # noqa: ANN001
    """The same files ingested, batch by batch, by each engine into a store of its own; alerts raised in both."""
    folder = tmp_path_factory.mktemp("engines")
    batches = _batches(shared_data, folder)
    found = {}
    for engine in ("duckdb", "spark"):
        settings = Settings(db=folder / f"{engine}.duckdb", engine=engine, spark_master="local[2]", memory_limit="2GB", threads=2)
        _ingest(settings, batches)
        _run(settings.db, "alerts", "raise", "--until", ALERTS_UNTIL)
        found[engine] = settings
    return found


def _differences(first: Path, second: Path, table: str, *, ignore: tuple[str, ...] = ()) -> tuple[int, int, list[tuple]]:
    """(rows in each store's ``table``; rows of one not in the other, a few shown), the columns
    ``ignore`` left out."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{first}' AS a (READ_ONLY); ATTACH '{second}' AS b (READ_ONLY)")
    shown = ", ".join(r[0] for r in con.execute(f"DESCRIBE a.{table}").fetchall() if r[0] not in CLOCK and r[0] not in ignore)
    counts = [con.execute(f"SELECT count(*) FROM {s}.{table}").fetchall()[0][0] for s in ("a", "b")]
    differing = con.execute(
        f"(SELECT 'duckdb only' AS side, * FROM (SELECT {shown} FROM a.{table} EXCEPT ALL SELECT {shown} FROM b.{table})) "
        f"UNION ALL (SELECT 'spark only', * FROM (SELECT {shown} FROM b.{table} EXCEPT ALL SELECT {shown} FROM a.{table})) "
        "ORDER BY ALL LIMIT 5"
    ).fetchall()
    con.close()
    return counts[0], counts[1], differing


@pytest.mark.parametrize("table", TABLES)
def test_both_engines_fill_the_store_alike(stores: dict[str, Settings], table: str) -> None:
    duckdb_rows, spark_rows, differing = _differences(stores["duckdb"].db, stores["spark"].db, table)
    assert duckdb_rows > 0
    assert (duckdb_rows, differing) == (spark_rows, [])


def test_the_conformance_run_exercises_duplicates_quarantine_and_clusters(stores: dict[str, Settings]) -> None:
    """The files hold what the engines could disagree on: rows repeated within and across files,
    quarantined rows, incidents of several rows, human-coded and machine-coded sources."""
    with duckdb.connect(str(stores["spark"].db), read_only=True) as con:
        flawed = con.execute(
            "SELECT rows_read, rows_stored, rows_duplicate, rows_quarantined FROM ingests WHERE path LIKE '%flawed.csv'"
        ).fetchall()
        shared_incidents, coding = con.execute(
            "SELECT count(*) FILTER (WHERE cluster_size > 1), count(DISTINCT coding) FROM events"
        ).fetchall()[0]
        kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'events'").fetchall()[0][0]
    assert flawed == [(42, 38, 2, 2)]  # a row repeated within the file, one from aug2011.csv
    assert shared_incidents > 1000 and coding == 2
    assert kind == "VIEW"  # the store holds no events of its own: it reads the lake


def test_the_lake_is_partitioned_by_month_and_committed_by_manifest(stores: dict[str, Settings]) -> None:
    lake = Lake(stores["spark"].db.with_name("spark.lake"))
    manifests = lake.manifests()
    assert [m.batch for m in manifests] == [1, 2, 3, 4, 5]
    assert sum(len(m.ingests) for m in manifests) == sum(len(paths) for _, paths in FILES) + 2
    months = sorted(p.name for p in (lake.root / "events" / "batch=000001").glob("month=*"))
    assert months == ["month=2011-08", "month=2011-11", "month=2012-03", "month=2012-08"]
    assert not (lake.root / "_staging").exists() or not any((lake.root / "_staging").iterdir())


def test_files_ingested_before_are_skipped_by_checksum(stores: dict[str, Settings], shared_data: Path) -> None:
    settings = stores["spark"]
    before = Lake(settings.db.with_name("spark.lake")).manifests()
    with open_store(settings) as con:
        results = ingest_files(con, settings, [str(shared_data / FILES[0][1][0])], reader=get_source("gdelt"))
    assert [(r.skipped, r.format) for r in results] == [(True, "gdelt1/text")]
    assert Lake(settings.db.with_name("spark.lake")).manifests() == before


def test_each_engine_refuses_the_other_engines_store(stores: dict[str, Settings], shared_data: Path) -> None:
    path = [str(shared_data / FILES[0][1][0])]
    duckdb_engine = Settings(db=stores["spark"].db, engine="duckdb")
    with open_store(duckdb_engine) as con, pytest.raises(InvalidInput, match="reads the Parquet lake .* --engine spark"):
        ingest_files(con, duckdb_engine, path, reader=get_source("gdelt"))
    spark_engine = Settings(db=stores["duckdb"].db, engine="spark", spark_master="local[2]")
    with open_store(spark_engine) as con, pytest.raises(StoreError, match="holds events ingested with the DuckDB engine"):
        ingest_files(con, spark_engine, path, reader=get_source("gdelt"))


@pytest.fixture(scope="module")
def georgia(spark_available, shared_data: Path, tmp_path_factory) -> dict[str, Path]:  # noqa: ANN001
    """The README's route on each engine: every file of the Georgia GDELT 1.0 slice ingested by the
    command line, then ``alerts raise``."""
    folder = tmp_path_factory.mktemp("georgia")
    files = sorted(str(p) for p in (shared_data / "gdelt1_georgia_2011_2013").glob("*.csv"))
    found = {}
    for engine in ("duckdb", "spark"):
        db = folder / f"{engine}.duckdb"
        said = _run(db, "--engine", engine, "ingest", "gdelt", *files)
        assert "105,438 events stored in " + (f"the lake {folder / 'spark.lake'}" if engine == "spark" else str(db)) in said
        _run(db, "alerts", "raise")
        found[engine] = db
    return found


@pytest.mark.parametrize(
    "command",
    [
        ["indicators", "--dyad", "GEO-RUS", "--format", "csv"],
        ["alerts", "--format", "json"],
        ["brief", "--dyad", "GEO-RUS", "--format", "markdown"],
        ["events", "--dyad", "GEO-RUS", "--limit", "50", "--format", "csv"],
        ["stats", "--json"],
    ],
    ids=lambda c: c[0],
)
def test_commands_answer_alike_from_the_lake(georgia: dict[str, Path], command: list[str]) -> None:
    answers = [_run(georgia[engine], *command).replace(str(georgia[engine]), "STORE") for engine in ("duckdb", "spark")]
    if "json" in command:
        assert _timeless(json.loads(answers[0])) == _timeless(json.loads(answers[1]))
    else:
        assert answers[0] == answers[1]
    said = {"indicators": "GEO-RUS", "alerts": '"alert_id"', "brief": "GEO", "events": "GEO", "stats": "105438"}[command[0]]
    assert said in answers[1].replace(",", "" if command[0] == "stats" else ",")


def test_the_server_serves_the_lake(georgia: dict[str, Path]) -> None:
    from tests.web.conftest import _serve

    served = []
    for engine in ("duckdb", "spark"):
        for url in _serve(georgia[engine]):
            served.append([httpx.get(f"{url}/api/pairs/GEO-RUS/{what}", timeout=120).json() for what in ("indicators", "ladder")])
            served[-1].append(httpx.get(f"{url}/api/alerts", timeout=120).json())
    assert _timeless(served[0]) == _timeless(served[1]) and served[1][0] and served[1][2]


@pytest.mark.parametrize("phase", ["parsed on Spark", "clustering the lake"])
def test_a_killed_spark_ingest_leaves_the_lake_as_it_was(spark_available, shared_data: Path, tmp_path: Path, phase: str) -> None:  # noqa: ANN001
    """Killed mid-ingest, the lake keeps no part of the batch; run again, each event is stored
    once and the store equals the DuckDB engine's of the same files."""
    batches = [("gdelt", [str(shared_data / path) for path in FILES[0][1][:2]])]
    reference = Settings(db=tmp_path / "reference.duckdb", threads=2)
    _ingest(reference, batches)
    db = tmp_path / "lake.duckdb"
    command = [sys.executable, "-m", "flashpoint", "--db", str(db), "--engine", "spark", "-v", "ingest", "gdelt", *batches[0][1]]
    env = {**os.environ, "COLUMNS": "400", "FLASHPOINT_SPARK_MASTER": "local[2]", "FLASHPOINT_THREADS": "2"}
    kill_at(command, env, phase)
    lake = Lake(tmp_path / "lake.lake")
    assert lake.manifests() == []
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events").fetchall()[0][0] == 0
    result = CliRunner().invoke(app, ["--db", str(db), "--engine", "spark", "ingest", "gdelt", *batches[0][1]])
    assert result.exit_code == 0, result.output
    assert [m.batch for m in lake.manifests()] == [1]
    assert [p.name for p in (lake.root / "events").glob("batch=*")] == ["batch=000001"]  # the killed run's removed
    for table in ("events", "pair_weeks", "ingests"):
        # The killed run took ingest ids from the store's sequence, as a killed DuckDB ingest does.
        duckdb_rows, spark_rows, differing = _differences(reference.db, db, table, ignore=("ingest_id",))
        assert (duckdb_rows, differing) == (spark_rows, [])


def test_a_file_that_is_not_in_the_format_stops_the_ingest_after_the_files_before_it(
    spark_available,
    shared_data: Path,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    settings = Settings(db=tmp_path / "lake.duckdb", engine="spark", spark_master="local[2]", threads=2)
    acled = tmp_path / "b_acled.csv"
    acled.write_bytes((shared_data / "acled_acledR" / "acled_old_dummy.csv").read_bytes())
    good = tmp_path / "a_good.csv"
    good.write_bytes((shared_data / FILES[0][1][3]).read_bytes())
    with open_store(settings) as con, pytest.raises(UnknownFormat, match="b_acled.csv: not a GDELT event file"):
        ingest_files(con, settings, [str(good), str(acled)], reader=get_source("gdelt"))
    manifests = Lake(tmp_path / "lake.lake").manifests()
    assert [[row["path"].split("/")[-1] for row in m.ingests] for m in manifests] == [["a_good.csv"]]
    alone = Settings(db=tmp_path / "alone.duckdb", engine="spark", spark_master="local[2]", threads=2)
    with open_store(alone) as con, pytest.raises(UnknownFormat, match="b_acled.csv: not a GDELT event file"):
        ingest_files(con, alone, [str(acled)], reader=get_source("gdelt"))  # the lake's first file: no batch at all
    assert Lake(tmp_path / "alone.lake").manifests() == []
    assert json.loads(json.dumps(manifests[0].tables))["events"].startswith("events/batch=")
