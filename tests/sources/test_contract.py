"""The contract of every reader: a registered source declares its citation and licence, its real
rows ingest, and arbitrary bytes among them, or its real files mutated, never make the ingest
fail with anything but a clear error — the rows it can read are stored, the others
quarantined with their line, and every row read is accounted for (:mod:`tests.sources.fuzzing`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from flashpoint.config import Settings
from flashpoint.errors import FlashpointError
from flashpoint.sources import SOURCES, get_source
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths
from tests.sources.fuzzing import CASES, check_ingest, mutate

#: Per registered source: its case in :data:`tests.sources.fuzzing.CASES` (a file name its reader
#: detects, and a few real rows of its format).
SAMPLES: dict[str, tuple[str, Callable[[Path], bytes]]] = {
    name: (CASES[case].file_name, CASES[case].sample)
    for name, case in {
        "gdelt": "gdelt2",
        "acled": "acled",
        "ucdp": "ucdp",
        "icews": "icews",
        "polecat": "polecat",
        "milex": "milex",
        "crises": "crises",
        "terminations": "terminations",
        "measures": "measures",
    }.items()
}
NAMES = sorted(SAMPLES)


def test_every_registered_source_has_a_sample_here() -> None:
    assert {get_source(name).__name__ for name in SOURCES} == {get_source(n).__name__ for n in SAMPLES}


@pytest.mark.parametrize("name", NAMES)
def test_every_source_declares_its_citation_and_licence(name: str) -> None:
    module = get_source(name)
    assert len(module.CITATION) > 20 and len(module.LICENSE) > 20


@pytest.mark.shared_data
@pytest.mark.parametrize("name", NAMES)
def test_the_real_sample_of_every_source_ingests(shared_data: Path, settings: Settings, tmp_path: Path, name: str) -> None:
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
def test_arbitrary_bytes_among_real_rows_never_break_an_ingest(
    shared_data: Path, tmp_path_factory, name: str, garbage: bytes
) -> None:  # noqa: ANN001
    folder = tmp_path_factory.mktemp("fuzz")
    file_name, sample = SAMPLES[name]
    path = folder / file_name
    path.write_bytes(_with_garbage(sample(shared_data), garbage))
    module = get_source(name)
    with open_store(Settings(db=folder / "store.duckdb", threads=1)) as con:
        check_ingest(con, path, module, text=True)


@pytest.mark.shared_data
@pytest.mark.parametrize("case", sorted(CASES))
@hsettings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_mutated_real_files_of_every_reader_keep_the_contract(shared_data: Path, tmp_path_factory, case: str, seed: int) -> None:  # noqa: ANN001
    """Bytes flipped, lines cut, repeated or added, separators swapped, special values and long
    fields inserted: nothing but a clear error, every row read accounted for, every quarantined
    text row with its line, no NUL stored (the longer run: ``python -m tests.sources.fuzzing``)."""
    folder = tmp_path_factory.mktemp("mutated")
    found = CASES[case]
    path = folder / found.file_name
    path.write_bytes(mutate(found.sample(shared_data), random.Random(seed)))
    with open_store(Settings(db=folder / "store.duckdb", threads=1)) as con:
        check_ingest(con, path, found.reader(folder), text=found.text)


#: Whole files no reader may crash on (each was a traceback): only a BOM, a .parquet that is not
#: Parquet, JSON nested deeper than Python parses or with a number past Python's 4,300 digits,
#: and a first line holding one field over 128 KB.
HOSTILE = {
    "bom": ("file.csv", b"\xef\xbb\xbf"),
    "not-parquet": ("file.parquet", b"PAR1 this is not parquet at all\n"),
    "deep-json": ("file.json", b"[" * 100_000 + b"]" * 100_000),
    "huge-number-json": ("file.json", b'{"data": [{"event_id_cnty": ' + b"9" * 5_000 + b"}]}"),  # past 4,300 digits
    "long-field": ("file.csv", b"a," + b"x" * 200_000 + b"\n1,2\n"),
}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_files_are_refused_with_a_message_and_nothing_kept(
    settings: Settings, tmp_path: Path, name: str, kind: str
) -> None:
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
def test_a_field_over_128_kb_among_real_rows_loses_nothing_else(
    shared_data: Path, settings: Settings, tmp_path: Path, name: str
) -> None:
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
