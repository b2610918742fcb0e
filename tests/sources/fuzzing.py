"""Fuzzing the readers: real sample files of every reader, mutated, and the contract each
ingest of them must keep. Used by the suite's bounded test (``test_contract.py``) and by the
longer run, whose counts are published in docs/reliability.md::

    python -m tests.sources.fuzzing --inputs 2000

The contract: the ingest raises nothing but the project's own errors; a file refused keeps
nothing; a file ingested accounts for every row read (stored, duplicate or quarantined), gives
every quarantined row of a text file its line, and stores no NUL byte.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from flashpoint.config import Settings
from flashpoint.errors import FlashpointError
from flashpoint.sources import get_source
from flashpoint.sources.csv_mapped import MappedCsvReader, load_mapping
from flashpoint.sources.series import SeriesReader
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths

TESTS = Path(__file__).resolve().parents[1]
DATA = TESTS / "data"


def _records(path: Path, count: int) -> bytes:
    """The header and the first ``count`` records of a CSV file, written again (records may span lines)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = [row for _, row in zip(range(count + 1), csv.reader(fh))]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def _lines(path: Path, count: int) -> bytes:
    with open(path, "rb") as fh:
        return b"".join(fh.readlines()[:count])


def _acled_json(shared: Path) -> bytes:
    rows = list(csv.DictReader(io.StringIO(_records(shared / "acled_acledR" / "acled_old_dummy.csv", 5).decode())))
    return json.dumps({"status": 200, "data": rows}).encode()


def _parquet(text: bytes) -> bytes:
    """A CSV file's rows as Parquet, every column as text (as BigQuery exports GDELT)."""
    names = next(csv.reader(io.StringIO(text.decode())))
    table = pacsv.read_csv(
        io.BytesIO(text), convert_options=pacsv.ConvertOptions(column_types={name: pa.string() for name in names})
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _gdelt_with_header(shared: Path) -> bytes:
    with open(shared / "gdelt_raw_samples" / "gdelt2_export_20170701234500_gdeltPyR.csv", encoding="utf-8") as fh:
        rows = [row for _, row in zip(range(6), csv.reader(fh))]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


SERIES = (
    b"date,iso3_a,iso3_b,edge_weight\n2018-01-01,RUS,UKR,-2.5\n2018-01-02,RUS,UKR,-3.25\n"
    b"2018-01-02,Georgia,Russia,1.5\n2018-01-03,USA,CHN,0.75\n"
)
#: An analyst's own table (the rows restate real ACLED records of February 2022) and its mapping.
MAPPED = (
    b"ref,day,side_a,side_b,kind,killed\nA1,25/02/2022,365,369,clash,4\nA2,25/02/2022,365,369,clash,0\n"
    b"A3,26/02/2022,365,369,clash,1\n"
)
MAPPING = """source = "myconflicts"\ncoding = "human"\ndate_format = "%d/%m/%Y"\n[columns]\nevent_id = "ref"
event_date = "day"\nactor1_country = "side_a"\nactor2_country = "side_b"\nevent_type = "kind"\nfatalities = "killed"
[code_systems]\nactor1_country = "gw"\nactor2_country = "gw"\n[event_types]\nclash = "190"\n"""


@dataclass(frozen=True)
class Case:
    """A reader and a real sample of what it reads."""

    file_name: str
    sample: Callable[[Path], bytes]  # of the shared data folder
    reader: Callable[[Path], object]  # of a folder to write a reader's own files in

    @property
    def text(self) -> bool:
        return not self.file_name.endswith((".parquet", ".json"))


def _registered(name: str) -> Callable[[Path], object]:
    return lambda _: get_source(name)


def _mapped_reader(folder: Path) -> MappedCsvReader:
    (folder / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    return MappedCsvReader(load_mapping(folder / "mapping.toml"))


def _polecat(_: Path) -> bytes:
    from tests.sources.test_polecat import HEADER

    row = {
        "Event ID": "p1",
        "Event Date": "2022-10-10",
        "Event Type": "FIGHT",
        "Event Mode": "aerial",
        "Actor Country": "RUS",
        "Recipient Country": "UKR",
        "Country": "UKR",
    }
    return ("\t".join(HEADER) + "\n" + "\t".join(row.get(name, "") for name in HEADER) + "\n").encode()


def _measures(_: Path) -> bytes:
    from tests.sources.test_measures import TABLE

    return "".join(TABLE.splitlines(keepends=True)[:5]).encode()


#: Every reader, with the file name it detects its layout by and a real sample.
CASES: dict[str, Case] = {
    "gdelt2": Case(
        "20170701234500.export.CSV", lambda _: _lines(DATA / "gdelt2_export_20170701234500_head.tsv", 6), _registered("gdelt")
    ),
    "gdelt1": Case("20160728.export.CSV", lambda _: _lines(DATA / "gdelt1_daily_20160728_head.tsv", 6), _registered("gdelt")),
    "gdelt-csv-header": Case("gdelt_export.csv", _gdelt_with_header, _registered("gdelt")),
    "gdelt-parquet": Case("gdelt_export.parquet", lambda shared: _parquet(_gdelt_with_header(shared)), _registered("gdelt")),
    "acled": Case("acled.csv", lambda shared: _records(shared / "acled_acledR" / "acled_old_dummy.csv", 5), _registered("acled")),
    "acled-json": Case("acled.json", _acled_json, _registered("acled")),
    "ucdp": Case(
        "ged.csv", lambda shared: _records(shared / "ucdp_misc" / "ucdp_ged_ethiopia_extract.csv", 5), _registered("ucdp")
    ),
    "icews": Case(
        "icews14_test.txt", lambda shared: _lines(shared / "icews_tkg_subsets" / "icews14_test.txt", 6), _registered("icews")
    ),
    "polecat": Case("polecat.tsv", _polecat, _registered("polecat")),
    "milex": Case(
        "milex_Current_US.csv", lambda shared: _records(shared / "sipri_milex" / "milex_Current_US.csv", 12), _registered("milex")
    ),
    "crises": Case(
        "icb1v14_system_level.csv",
        lambda shared: _records(shared / "icb_v14" / "icb1v14_system_level.csv", 5),
        _registered("crises"),
    ),
    "terminations": Case(
        "ucdp_conflict_termination_v3_2021.csv",
        lambda shared: _records(shared / "ucdp_misc" / "ucdp_conflict_termination_v3_2021.csv", 5),
        _registered("terminations"),
    ),
    "measures": Case("measures.csv", _measures, _registered("measures")),
    "series": Case("series.csv", lambda _: SERIES, lambda _: SeriesReader("edge_weight")),
    "mapped-csv": Case("table.csv", lambda _: MAPPED, _mapped_reader),
}

_SPECIAL = (
    b'"',
    b"\r",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\t",
    b",",
    b"\n",
    b"NA",
    b"\\",
    b"{",
    b"]",
    b"-1e309",
    b"99999999999999999999",
    b"2012-02-30",
    b"\xe2\x80\xae",
    b"'; DROP TABLE events; --",
)


def _garbage_line(data: bytes, rng: random.Random) -> bytes:
    lines = data.splitlines(keepends=True)
    at = rng.randint(0, len(lines))
    garbage = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200)))
    return b"".join([*lines[:at], garbage + b"\n", *lines[at:]])


def _flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.getrandbits(8)
    return bytes(out)


def _cut_short(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randint(0, len(data))]


def _insert_special(data: bytes, rng: random.Random) -> bytes:
    at = rng.randint(0, len(data))
    return data[:at] + rng.choice(_SPECIAL) + data[at:]


def _long_field(data: bytes, rng: random.Random) -> bytes:
    at = rng.randint(0, len(data))
    return data[:at] + rng.choice((b"x", b"9", b'"')) * rng.choice((1_000, 140_000, 1_100_000)) + data[at:]


def _repeat_lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.splitlines(keepends=True)
    if not lines:
        return data
    chosen = rng.choice(lines)
    return b"".join(lines + [chosen] * rng.randint(1, 3))


def _swap_separators(data: bytes, rng: random.Random) -> bytes:
    a, b = rng.sample([b"\t", b",", b";", b"\r\n", b"\n"], 2)
    return data.replace(a, b, rng.randint(1, 5))


MUTATIONS = (_garbage_line, _flip_bytes, _cut_short, _insert_special, _long_field, _repeat_lines, _swap_separators)


def mutate(sample: bytes, rng: random.Random) -> bytes:
    """The sample with one to three random mutations."""
    for _ in range(rng.randint(1, 3)):
        sample = rng.choice(MUTATIONS)(sample, rng)
    return sample


def check_ingest(con: duckdb.DuckDBPyConnection, path: Path, reader: object, *, text: bool) -> str:
    """Ingest ``path`` and check the contract; returns 'refused', 'skipped' or 'ingested'.

    Raises
    ------
    AssertionError
        When the contract is broken; any exception but a FlashpointError passes through.
    """
    table = reader.TARGET.table
    count = f"SELECT (SELECT count(*) FROM ingests), (SELECT count(*) FROM {table})"
    before = con.execute(count).fetchone()
    try:
        [result] = ingest_paths(con, [str(path)], reader=reader)
    except FlashpointError as exc:
        assert con.execute(count).fetchone() == before, "a refused file kept something"
        return "refused: " + str(exc).removeprefix(str(path)).lstrip(": ")[:100]
    if result.skipped:
        return "skipped"
    assert result.rows_read == result.rows_stored + result.rows_duplicate + result.rows_quarantined, result
    lines = con.execute("SELECT count(*), count(line_number) FROM quarantine WHERE ingest_id = ?", [result.ingest_id]).fetchone()
    assert lines[0] == result.rows_quarantined, (lines, result)
    assert not text or lines[1] == lines[0], "a quarantined row of a text file without its line"
    texts = [name for name, kind, *_ in con.execute(f"DESCRIBE {table}").fetchall() if kind == "VARCHAR"]
    nul = " OR ".join(f'contains("{name}", chr(0))' for name in texts) or "false"
    assert not con.execute(f"SELECT count(*) FROM {table} WHERE ingest_id = ? AND ({nul})", [result.ingest_id]).fetchone()[0], (
        "a NUL byte stored"
    )
    return "ingested"


def run(name: str, inputs: int, shared: Path, folder: Path, *, seed: int = 0) -> Counter:
    """``inputs`` mutations of one case's sample ingested into one store; the outcomes counted
    (a contract breach or a crash is counted with its first message and does not stop the run)."""
    case = CASES[name]
    rng = random.Random(f"{name}-{seed}")
    sample = case.sample(shared)
    reader = case.reader(folder)
    outcomes: Counter = Counter()
    with open_store(Settings(db=folder / f"{name}.duckdb", threads=1)) as con:
        for i in range(inputs):
            path = folder / f"{i}" / case.file_name
            path.parent.mkdir()
            path.write_bytes(mutate(sample, rng))
            try:
                outcomes[check_ingest(con, path, reader, text=case.text)] += 1
            except AssertionError as exc:
                outcomes[f"contract broken: {exc}"] += 1
            except Exception as exc:  # noqa: BLE001 - what the run counts
                outcomes[f"crash: {type(exc).__name__}: {str(exc)[:120]}"] += 1
            path.unlink()
            path.parent.rmdir()
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description="Fuzz every reader with mutated real samples; print the counts.")
    parser.add_argument("--inputs", type=int, default=2000, help="per reader")
    parser.add_argument("--shared-data", type=Path, default=TESTS.parents[1] / "shared" / "data")
    parser.add_argument("--only", nargs="*", default=sorted(CASES), choices=sorted(CASES))
    args = parser.parse_args()
    print(
        "| reader | inputs | ingested | refused with a message | skipped (same bytes) | crashes or broken "
        "contract | seconds |\n|---|---|---|---|---|---|---|"
    )
    failed = 0
    for name in args.only:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="flashpoint-fuzz-") as tmp:
            outcomes = run(name, args.inputs, args.shared_data, Path(tmp))
        refused = sum(v for k, v in outcomes.items() if k.startswith("refused"))
        bad = {k: v for k, v in outcomes.items() if not k.startswith(("ingested", "refused", "skipped"))}
        failed += sum(bad.values())
        print(
            f"| {name} | {args.inputs:,} | {outcomes['ingested']:,} | {refused:,} | "
            f"{outcomes['skipped']:,} | {sum(bad.values())} | {time.perf_counter() - started:.0f} |",
            flush=True,
        )
        for what, n in bad.items():
            print(f"    {n} × {what}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
