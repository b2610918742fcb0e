from __future__ import annotations

import csv
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.sources import gdelt
from flashpoint.sources.series import SeriesReader
from flashpoint.store import files
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import UNENDED_REASON, ingest_paths
from flashpoint.store.queries import store_stats
from tests.conftest import kill_at

# Distinct GLOBALEVENTIDs in the shared files, counted independently by _distinct_ids below.
GEORGIA_EVENTS = 105_438  # 105,444 rows: six events appear twice
GDELT1_SAMPLE_EVENTS = 710
GDELT2_SAMPLE_EVENTS = 6_090


def _distinct_ids(paths: list[Path]) -> set[str]:
    """GLOBALEVENTIDs in files, read with Python's csv module (independent of the ingest path)."""
    ids: set[str] = set()
    for path in paths:
        with open(path, newline="", encoding="utf-8") as fh:
            first = fh.readline()
            fh.seek(0)
            if first.startswith("GLOBALEVENTID") or first.startswith('"GLOBALEVENTID"'):
                reader = csv.reader(fh)
                header = next(reader)
                at = header.index("GLOBALEVENTID")
                ids.update(row[at + (len(row) - len(header))] for row in reader)
            else:
                ids.update(line.split("\t", 1)[0] for line in fh if line.strip())
    return ids


@pytest.mark.shared_data
def test_shared_gdelt_files_store_every_distinct_event_once(shared_data: Path, settings: Settings) -> None:
    georgia = sorted((shared_data / "gdelt1_georgia_2011_2013").glob("*.csv"))
    samples = shared_data / "gdelt_raw_samples"
    one, two = samples / "gdelt1_daily_20160728_sample_reed9999.tsv", samples / "gdelt2_export_20170701234500_gdeltPyR.csv"
    assert len(_distinct_ids(georgia)) == GEORGIA_EVENTS
    assert len(_distinct_ids([one])) == GDELT1_SAMPLE_EVENTS
    assert len(_distinct_ids([two])) == GDELT2_SAMPLE_EVENTS
    patterns = [str(shared_data / "gdelt1_georgia_2011_2013"), str(one), str(two)]
    with open_store(settings) as con:
        first = ingest_paths(con, patterns, reader=gdelt)
        stats = store_stats(con)
        again = ingest_paths(con, patterns, reader=gdelt)
        assert store_stats(con) == stats
        bad = con.execute(
            "SELECT count(*) FROM events e LEFT JOIN cameo_codes c USING (cameo_code) WHERE c.cameo_code IS NULL "
            "OR e.cameo_root <> c.cameo_root OR e.quad_class <> c.quad_class OR e.goldstein <> c.goldstein"
        ).fetchone()[0]
    assert bad == 0
    assert len(first) == 25 and all(r.rows_quarantined == 0 for r in first)
    assert all(r.skipped for r in again)
    assert stats["events"] == GEORGIA_EVENTS + GDELT1_SAMPLE_EVENTS + GDELT2_SAMPLE_EVENTS
    by_source = {s["source"]: s["events"] for s in stats["sources"]}
    assert by_source == {"gdelt1": GEORGIA_EVENTS + GDELT1_SAMPLE_EVENTS, "gdelt2": GDELT2_SAMPLE_EVENTS}
    assert stats["quarantined"] == 0 and stats["files"] == 25


def test_same_events_in_a_new_file_are_duplicates(settings: Settings, tmp_path: Path, gdelt2_lines) -> None:
    (tmp_path / "a.tsv").write_text("\n".join(gdelt2_lines[:6]) + "\n")
    (tmp_path / "b.tsv").write_text("\n".join(gdelt2_lines[3:]) + "\n")
    with open_store(settings) as con:
        a, b = ingest_paths(con, [str(tmp_path / "*.tsv")], reader=gdelt)
        count = con.execute("SELECT count(*) FROM events").fetchone()[0]
    assert (a.rows_stored, b.rows_stored, b.rows_duplicate) == (6, 4, 3)
    assert count == 10


def test_an_id_repeated_within_a_file_keeps_its_first_row(settings: Settings, tmp_path: Path, gdelt2_lines) -> None:
    first = gdelt2_lines[0].split("\t")
    again = "\t".join([*first[:-1], "http://example.org/the-second-report"])
    (tmp_path / "repeat.tsv").write_text("\n".join([*gdelt2_lines, again]) + "\n")
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(tmp_path / "repeat.tsv")], reader=gdelt)
        url = con.execute("SELECT source_url FROM events WHERE event_id = ?", [f"gdelt2:{first[0]}"]).fetchone()[0]
    assert (result.rows_read, result.rows_stored, result.rows_duplicate) == (11, 10, 1)
    assert url == first[-1]


def test_a_file_larger_than_the_memory_limit_streams(tmp_path: Path, gdelt2_lines) -> None:
    big = tmp_path / "big.export.CSV"
    _big_gdelt2_file(big, gdelt2_lines, copies=50_000)  # 500,000 events
    limit_mb = 96
    assert big.stat().st_size > 1.5 * limit_mb * 2**20
    settings = Settings(db=tmp_path / "store.duckdb", memory_limit=f"{limit_mb}MB", threads=1)
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(big)], reader=gdelt)
        count = con.execute("SELECT count(DISTINCT event_id) FROM events").fetchone()[0]
    assert result.rows_stored == count == 500_000


def test_zip_gzip_and_parquet_inputs(settings: Settings, tmp_path: Path, gdelt1_lines, gdelt2_lines) -> None:
    text = "\n".join(gdelt2_lines) + "\n"
    with zipfile.ZipFile(tmp_path / "20170701234500.export.CSV.zip", "w") as archive:
        archive.writestr("20170701234500.export.CSV", text)
    with gzip.open(tmp_path / "20160728.export.CSV.gz", "wt") as fh:
        fh.write("\n".join(gdelt1_lines) + "\n")
    duckdb.connect().execute(
        "COPY (SELECT * FROM read_csv(?, delim='\t', header=false, all_varchar=true, names=?)) TO ? (FORMAT parquet)",
        [str(tmp_path / "20160728.export.CSV.gz"), list(gdelt.GDELT1_COLUMNS), str(tmp_path / "bq.parquet")],
    )
    with open_store(settings) as con:
        results = ingest_paths(con, [str(tmp_path)], reader=gdelt)
        by_source = dict(con.execute("SELECT source, count(*) FROM events GROUP BY 1").fetchall())
    assert sorted(r.format for r in results) == ["gdelt1/parquet", "gdelt1/text", "gdelt2/text"]
    assert [r.rows_duplicate for r in sorted(results, key=lambda r: r.format)] == [10, 0, 0]
    assert by_source == {"gdelt1": 10, "gdelt2": 10}


def test_a_broken_zip_archive_is_a_clear_error_and_stores_nothing(settings: Settings, tmp_path: Path, gdelt2_lines) -> None:
    good = tmp_path / "20170701234500.export.CSV.zip"
    with zipfile.ZipFile(good, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("20170701234500.export.CSV", "\n".join(gdelt2_lines) + "\n")
    data = good.read_bytes()
    (tmp_path / "cut.export.CSV.zip").write_bytes(data[:200])  # a download cut short
    member = zipfile.ZipFile(good).infolist()[0]
    start = member.header_offset + 30 + len(member.filename) + len(member.extra)
    damaged = bytearray(data)
    damaged[start + 40] ^= 0xFF  # compressed bytes changed in transit
    (tmp_path / "damaged.export.CSV.zip").write_bytes(bytes(damaged))
    with open_store(settings) as con:
        with pytest.raises(InvalidInput, match="cut.export.CSV.zip: not a readable zip archive"):
            ingest_paths(con, [str(tmp_path / "cut.export.CSV.zip")], reader=gdelt)
        with pytest.raises(InvalidInput, match="member 20170701234500.export.CSV cannot be read"):
            ingest_paths(con, [str(tmp_path / "damaged.export.CSV.zip")], reader=gdelt)
        assert con.execute("SELECT count(*) FROM ingests").fetchone()[0] == 0


def test_a_zip_bomb_is_refused_before_it_fills_the_disk_and_killed_extractions_are_swept(
    settings: Settings, tmp_path: Path, gdelt2_lines, monkeypatch
) -> None:
    monkeypatch.setattr(files, "ZIP_FLOOR_BYTES", 1 << 20)  # the floor scaled down with the bomb
    bomb = tmp_path / "20170701234500.export.CSV.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("20170701234500.export.CSV", "\n".join(gdelt2_lines) + "\n" + "\t" * (16 << 20))
    assert bomb.stat().st_size < 100_000
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = Path(tempfile.gettempdir()) / f"flashpoint-unzip-{int(dead.stdout)}-left"  # a kill -9 leaves this
    stale.mkdir()
    (stale / "0-member.CSV").write_bytes(b"x" * 1000)
    with open_store(settings) as con:
        with pytest.raises(InvalidInput, match=r"20170701234500.export.CSV.zip: member .* refused as a zip bomb") as refused:
            ingest_paths(con, [str(bomb)], reader=gdelt)
        assert con.execute("SELECT count(*) FROM ingests").fetchone()[0] == 0
    assert "flashpoint-unzip" not in str(refused.value)  # the archive is named, not the extraction folder
    assert not stale.exists()
    assert not list(Path(tempfile.gettempdir()).glob(f"flashpoint-unzip-{os.getpid()}-*"))


def _numbered(gdelt2_lines: list[str], count: int) -> list[list[str]]:
    """``count`` rows of real GDELT 2.0 fields, each with its own event id."""
    rows = []
    for i in range(count):
        fields = gdelt2_lines[i % len(gdelt2_lines)].split("\t")
        fields[0] = str(800_000_000 + i)
        rows.append(fields)
    return rows


def test_quarantine_names_the_right_line_after_lone_carriage_returns_and_over_long_lines(
    settings: Settings, tmp_path: Path, gdelt2_lines
) -> None:
    rows = _numbered(gdelt2_lines, 40)
    rows[10][6] = "A" * (20 << 20)  # past the reader's 16 MB buffer: it used to vanish unreported
    rows[20] = rows[20][:20]  # too few columns
    rows[30][6] = "B" * (2 << 20)  # past the 1 MB a row may have
    text = ["\t".join(r) for r in rows]
    data = "\n".join(text[:5]) + "\r" + "\n".join(text[5:]) + "\n"  # a lone CR ends line 5
    path = tmp_path / "20170701234500.export.CSV"
    path.write_text(data, encoding="utf-8")
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=gdelt)
        quarantine = con.execute(
            "SELECT line_number, left(raw_line, 9), length(raw_line), reason FROM quarantine ORDER BY line_number"
        ).fetchall()
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (40, 37, 3)
    assert [(line, start) for line, start, _, _ in quarantine] == [(11, "800000010"), (21, "800000020"), (31, "800000030")]
    assert [reason for *_, reason in quarantine] == [
        "a line longer than 1 MB",
        "too few columns: DATEADDED is missing",
        "a line longer than 1 MB",
    ]
    assert all(length <= (1 << 16) + 40 for _, _, length, _ in quarantine)  # the raw text kept is bounded


def test_nul_bytes_in_a_text_value_are_quarantined_and_long_values_cut_in_reasons(
    settings: Settings, tmp_path: Path, gdelt2_lines
) -> None:
    rows = _numbered(gdelt2_lines, 6)
    rows[2][6] = "NEIGH\x00BORHOOD"
    rows[4][1] = "2" * 500_000  # a date of half a million digits
    path = tmp_path / "20170701234500.export.CSV"
    path.write_text("\n".join("\t".join(r) for r in rows) + "\n", encoding="utf-8")
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=gdelt)
        reasons = con.execute("SELECT line_number, reason FROM quarantine ORDER BY 1").fetchall()
        stored_nul = con.execute("SELECT count(*) FROM events WHERE contains(actor1_name, chr(0))").fetchone()[0]
    assert (result.rows_stored, result.rows_quarantined, stored_nul) == (4, 2, 0)
    assert reasons[0] == (3, "a NUL byte in a text value")
    assert reasons[1][0] == 5 and reasons[1][1].startswith("SQLDATE 2222") and "(500,000 characters)" in reasons[1][1]
    assert len(reasons[1][1]) < 200


def test_missing_path_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    with open_store(settings) as con, pytest.raises(InvalidInput, match="matches no file"):
        ingest_paths(con, [str(tmp_path / "nothing-*.CSV")], reader=gdelt)


def _big_gdelt2_file(path: Path, lines: list[str], copies: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for copy in range(copies):
            for line in lines:
                gid, rest = line.split("\t", 1)
                fh.write(f"{int(gid) + copy * 1000}\t{rest}\n")


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_a_stopped_ingest_leaves_the_store_unchanged(
    settings: Settings, tmp_path: Path, gdelt1_lines, gdelt2_lines, stop: signal.Signals
) -> None:
    (tmp_path / "small.tsv").write_text("\n".join(gdelt1_lines) + "\n")
    with open_store(settings) as con:
        ingest_paths(con, [str(tmp_path / "small.tsv")], reader=gdelt)
        before = store_stats(con)
    big = tmp_path / "big.export.CSV"
    _big_gdelt2_file(big, gdelt2_lines, copies=40_000)  # 400,000 events
    env = {**os.environ, "FLASHPOINT_DB": str(settings.db), "COLUMNS": "200"}
    command = [sys.executable, "-m", "flashpoint", "-v", "ingest", "gdelt", str(big)]
    # A suite started in the background ignores SIGINT, and its children inherit that: restored.
    with subprocess.Popen(
        command,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "ingesting" in line and "big.export.CSV" in line:
                break
        time.sleep(0.3)
        assert proc.poll() is None, "the ingest finished before it could be killed; make the file larger"
        proc.send_signal(stop)
        if stop == signal.SIGINT:  # Ctrl-C: the file's transaction is rolled back, and the command says so
            assert proc.wait(timeout=120) == 130
            said = proc.stderr.read()
            assert "interrupted: what was being written was rolled back" in said and "Traceback" not in said
        else:
            assert proc.wait() == -signal.SIGKILL
    with open_store(settings) as con:
        assert store_stats(con) == before
        [result] = ingest_paths(con, [str(big)], reader=gdelt)
        after = store_stats(con)
    assert result.rows_stored == 400_000 and after["events"] == before["events"] + 400_000


def test_a_store_of_another_schema_version_is_refused(settings: Settings) -> None:
    from flashpoint.errors import StoreError

    with open_store(settings) as con:
        con.execute("UPDATE store_meta SET value = '0' WHERE key = 'schema_version'")
    for read_only in (True, False):
        with pytest.raises(StoreError, match="store schema 0"), open_store(settings, read_only=read_only):
            pass


def _store_digest(db: Path) -> tuple:
    """What an exact store holds after an ingest: events, their clusters, the pair weeks, the files."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT (SELECT count(*) FROM events), (SELECT count(DISTINCT event_id) FROM events), "
            "(SELECT count(*) FROM events WHERE cluster_id IS NULL), "
            "(SELECT count(DISTINCT cluster_id) FROM events), "
            "(SELECT sum(hash(pair_weeks)) FROM pair_weeks), (SELECT count(*) FROM pair_weeks), "
            "(SELECT count(*) FROM ingests)"
        ).fetchone()


@pytest.mark.parametrize(
    "phase",
    ["ingested ", "deduplication:", "laying the events out"],
    ids=["after-commit", "after-deduplication", "during-layout"],
)
def test_a_kill_at_any_phase_after_the_commit_leaves_a_store_a_rerun_makes_exact(
    tmp_path: Path, gdelt2_lines, phase: str
) -> None:
    big = tmp_path / "big.export.CSV"
    _big_gdelt2_file(big, gdelt2_lines, copies=20_000)  # 200,000 events
    reference = tmp_path / "reference.duckdb"
    flashpoint = [sys.executable, "-m", "flashpoint", "-v"]
    subprocess.run([*flashpoint, "--db", str(reference), "ingest", "gdelt", str(big)], check=True, capture_output=True)
    db = tmp_path / "killed.duckdb"
    command = [*flashpoint, "--db", str(db), "ingest", "gdelt", str(big)]
    kill_at(command, {**os.environ, "COLUMNS": "400"}, phase)
    rerun = subprocess.run(command, env={**os.environ, "COLUMNS": "400"}, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert "1 file skipped" in rerun.stdout  # committed before the kill: not read twice
    assert _store_digest(db) == _store_digest(reference)


def test_a_feeds_last_row_no_line_break_ends_is_quarantined_and_a_tables_is_stored_and_named(
    settings: Settings, tmp_path: Path, gdelt2_lines
) -> None:
    export = "\n".join(gdelt2_lines[:4]) + "\n" + gdelt2_lines[4][:-20]  # a GDELT download cut short
    (tmp_path / "20170701234500.export.CSV").write_text(export, encoding="utf-8")
    table = "date,iso3_a,iso3_b,edge_weight\n2018-01-01,RUS,UKR,-2.5\n2018-01-02,RUS,UKR,-3.25"  # as ICB's ends
    (tmp_path / "series.csv").write_text(table, encoding="utf-8")
    with open_store(settings) as con:
        [feed] = ingest_paths(con, [str(tmp_path / "20170701234500.export.CSV")], reader=gdelt)
        quarantined = con.execute("SELECT line_number, raw_line, reason FROM quarantine").fetchall()
        [series] = ingest_paths(con, [str(tmp_path / "series.csv")], reader=SeriesReader("edge_weight"))
        values = con.execute("SELECT value FROM pair_series ORDER BY date").fetchall()
    assert (feed.rows_read, feed.rows_stored, feed.rows_quarantined, feed.unended_line) == (5, 4, 1, None)
    assert quarantined == [(5, gdelt2_lines[4][:-20], UNENDED_REASON)]
    assert (series.rows_stored, series.rows_quarantined, series.unended_line) == (2, 0, 3)
    assert values == [(-2.5,), (-3.25,)]
