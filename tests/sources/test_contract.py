"""The contract of every registered source: it declares its citation and licence, its real rows
ingest, and arbitrary bytes among them never make the ingest fail with anything but a clear
error — the rows it can read are stored, the others quarantined, and every row read is
accounted for."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st

from flashpoint.config import Settings
from flashpoint.errors import FlashpointError
from flashpoint.sources import SOURCES, get_source
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths
from tests.sources.test_measures import TABLE as MEASURES
from tests.sources.test_polecat import HEADER as POLECAT_HEADER

DATA = Path(__file__).resolve().parents[1] / "data"


def _records(path: Path, count: int) -> bytes:
    """The header and the first ``count`` records of a CSV file, written again (records may span lines)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        rows = [row for _, row in zip(range(count + 1), reader)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def _lines(path: Path, count: int, *, start: int = 0) -> bytes:
    with open(path, "rb") as fh:
        return b"".join(fh.readlines()[start:start + count])


#: Per source: the file name to write (readers detect by layout and some by name) and a few real
#: rows of its format, from the shared data (or constructed, for POLECAT and the measures table).
SAMPLES: dict[str, tuple[str, Callable[[Path], bytes]]] = {
    "gdelt": ("20170701234500.export.CSV", lambda _: _lines(DATA / "gdelt2_export_20170701234500_head.tsv", 6)),
    "acled": ("acled.csv", lambda shared: _records(shared / "acled_acledR" / "acled_old_dummy.csv", 5)),
    "ucdp": ("ged.csv", lambda shared: _records(shared / "ucdp_misc" / "ucdp_ged_ethiopia_extract.csv", 5)),
    "icews": ("icews14_test.txt", lambda shared: _lines(shared / "icews_tkg_subsets" / "icews14_test.txt", 6)),
    "polecat": ("polecat.tsv", lambda _: ("\t".join(POLECAT_HEADER) + "\n" + "\t".join(
        {"Event ID": "p1", "Event Date": "2022-10-10", "Event Type": "FIGHT", "Event Mode": "aerial",
         "Actor Country": "RUS", "Recipient Country": "UKR", "Country": "UKR"}.get(name, "")
        for name in POLECAT_HEADER) + "\n").encode()),
    "milex": ("milex_Current_US.csv", lambda shared: _records(shared / "sipri_milex" / "milex_Current_US.csv", 12)),
    "crises": ("icb1v14_system_level.csv",
               lambda shared: _records(shared / "icb_v14" / "icb1v14_system_level.csv", 5)),
    "terminations": ("ucdp_conflict_termination_v3_2021.csv",
                     lambda shared: _records(shared / "ucdp_misc" / "ucdp_conflict_termination_v3_2021.csv", 5)),
    "measures": ("measures.csv", lambda _: "".join(MEASURES.splitlines(keepends=True)[:5]).encode()),
}
NAMES = sorted(SAMPLES)


def test_every_registered_source_has_a_sample_here() -> None:
    assert {module.__name__ for module in SOURCES.values()} == {get_source(n).__name__ for n in SAMPLES}


@pytest.mark.parametrize("name", NAMES)
def test_every_source_declares_its_citation_and_licence(name: str) -> None:
    module = get_source(name)
    assert len(module.CITATION) > 20 and len(module.LICENSE) > 20


@pytest.mark.shared_data
@pytest.mark.parametrize("name", NAMES)
def test_the_real_sample_of_every_source_ingests(shared_data: Path, settings: Settings, tmp_path: Path,
                                                 name: str) -> None:
    file_name, sample = SAMPLES[name]
    (tmp_path / file_name).write_bytes(sample(shared_data))
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(tmp_path / file_name)], reader=get_source(name))
    assert result.rows_stored > 0
    assert result.rows_read == result.rows_stored + result.rows_duplicate + result.rows_quarantined


def _with_garbage(sample: bytes, garbage: bytes) -> bytes:
    """The sample with ``garbage`` as a line of its own after its second line."""
    lines = sample.splitlines(keepends=True)
    return b"".join([*lines[:2], garbage + b"\n", *lines[2:]])


@pytest.mark.shared_data
@pytest.mark.parametrize("name", NAMES)
@hsettings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(max_size=200))
@example(garbage=b'"')  # an unbalanced quote: later lines could become one field
@example(garbage=b"\x00\xff\xfe\r")  # NUL, bytes that are not UTF-8, a lone carriage return
@example(garbage=b"\t" * 80 + b"," * 80)  # too many fields of either separator
def test_arbitrary_bytes_among_real_rows_never_break_an_ingest(shared_data: Path, tmp_path_factory, name: str,
                                                                garbage: bytes) -> None:  # noqa: ANN001
    folder = tmp_path_factory.mktemp("fuzz")
    file_name, sample = SAMPLES[name]
    path = folder / file_name
    path.write_bytes(_with_garbage(sample(shared_data), garbage))
    module = get_source(name)
    with open_store(Settings(db=folder / "store.duckdb", threads=1)) as con:
        try:
            [result] = ingest_paths(con, [str(path)], reader=module)
        except FlashpointError:  # the whole file refused, with a message: nothing of it kept
            assert con.execute("SELECT count(*) FROM ingests").fetchone()[0] == 0
            assert con.execute(f"SELECT count(*) FROM {module.TARGET.table}").fetchone()[0] == 0
            return
        quarantined = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    assert result.rows_read == result.rows_stored + result.rows_duplicate + result.rows_quarantined
    assert quarantined == result.rows_quarantined


#: Whole files no reader may crash on (each was a traceback): only a BOM, a .parquet that is not
#: Parquet, JSON nested deeper than Python parses, and a first line holding one field over 128 KB.
HOSTILE = {
    "bom": ("file.csv", b"\xef\xbb\xbf"),
    "not-parquet": ("file.parquet", b"PAR1 this is not parquet at all\n"),
    "deep-json": ("file.json", b"[" * 100_000 + b"]" * 100_000),
    "long-field": ("file.csv", b"a," + b"x" * 200_000 + b"\n1,2\n"),
}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_files_are_refused_with_a_message_and_nothing_kept(settings: Settings, tmp_path: Path, name: str,
                                                                     kind: str) -> None:
    file_name, content = HOSTILE[kind]
    (tmp_path / file_name).write_bytes(content)
    module = get_source(name)
    with open_store(settings) as con:
        try:
            [result] = ingest_paths(con, [str(tmp_path / file_name)], reader=module)
        except FlashpointError as exc:
            assert str(tmp_path / file_name) in str(exc) or file_name in str(exc)
            assert con.execute("SELECT count(*) FROM ingests").fetchone()[0] == 0
            return
    assert result.rows_read == result.rows_stored + result.rows_duplicate + result.rows_quarantined


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["acled", "ucdp", "milex", "crises", "terminations", "measures"])
def test_a_field_over_128_kb_among_real_rows_loses_nothing_else(shared_data: Path, settings: Settings,
                                                                 tmp_path: Path, name: str) -> None:
    file_name, sample = SAMPLES[name]
    real = sample(shared_data)
    fields = real.splitlines()[0].count(b",")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / file_name).write_bytes(real)
    (tmp_path / file_name).write_bytes(real + b'"' + b"x" * 200_000 + b'"' + b"," * fields + b"\n")
    with open_store(settings) as con:
        [plain] = ingest_paths(con, [str(tmp_path / "plain" / file_name)], reader=get_source(name))
    with open_store(replace(settings, db=tmp_path / "long.duckdb")) as con:
        [result] = ingest_paths(con, [str(tmp_path / file_name)], reader=get_source(name))
        quarantined = con.execute("SELECT line_number FROM quarantine").fetchall()
    assert result.rows_stored >= plain.rows_stored > 0  # the file was not lost to the long field
    assert result.rows_read == result.rows_stored + result.rows_duplicate + result.rows_quarantined
    assert all(line is not None for (line,) in quarantined)
