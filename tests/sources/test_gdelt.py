from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from flashpoint.config import Settings
from flashpoint.errors import UnknownFormat
from flashpoint.sources import gdelt
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths


def _layout(tmp_path: Path, text: str, name: str = "events.csv", forced: str = "auto") -> gdelt.Layout:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return gdelt.detect_layout(path, path.read_bytes(), forced=forced)


def test_detects_gdelt1_and_gdelt2_raw_layouts(tmp_path, gdelt1_lines, gdelt2_lines) -> None:
    one = _layout(tmp_path, "\n".join(gdelt1_lines))
    assert (one.source, one.columns, one.header_lines) == ("gdelt1", gdelt.GDELT1_COLUMNS, 0)
    two = _layout(tmp_path, "\n".join(gdelt2_lines))
    assert (two.source, len(two.columns)) == ("gdelt2", 61)


def test_detects_header_csv_with_r_row_names(tmp_path, gdelt1_lines) -> None:
    header = ",".join(f'"{c}"' for c in gdelt.GDELT1_COLUMNS)
    row = '"7",' + ",".join(f'"{v}"' for v in gdelt1_lines[0].split("\t"))
    layout = _layout(tmp_path, f"{header}\n{row}\n")
    assert layout.columns[0] == "_row_name" and layout.header_lines == 1 and layout.delimiter == ","


def test_forced_format_overrides_detection(tmp_path, gdelt1_lines) -> None:
    assert _layout(tmp_path, "\n".join(gdelt1_lines), forced="gdelt2").source == "gdelt2"


@pytest.mark.parametrize("text", ["", "\n", "a,b,c\n1,2,3\n", "1\t2\t3\n"])
def test_not_gdelt_is_a_clear_error(tmp_path, text: str) -> None:
    with pytest.raises(UnknownFormat, match="GDELT"):
        _layout(tmp_path, text)


@pytest.mark.parametrize("forced", ["auto", "gdelt1"])
def test_a_comma_separated_file_is_sent_to_the_command_that_reads_it(tmp_path, forced: str) -> None:
    # An ACLED export given to 'ingest gdelt': no --format can read it, so none is suggested.
    with pytest.raises(UnknownFormat, match="no --format changes that.*ingest acled.*ingest csv") as raised:
        _layout(tmp_path, "event_id_cnty,event_date,country\nSDN1,2024-01-01,Sudan\n", forced=forced)
    assert "Use --format" not in str(raised.value)


def test_a_tab_file_of_another_width_suggests_forcing_a_version(tmp_path) -> None:
    with pytest.raises(UnknownFormat, match="found 3.*--format gdelt1 or --format gdelt2"):
        _layout(tmp_path, "1\t2\t3\n")


def test_malformed_rows_are_quarantined_with_line_and_reason(settings: Settings, tmp_path, gdelt1_lines) -> None:
    good = [line.split("\t") for line in gdelt1_lines]
    bad_date, bad_goldstein, bad_mentions, spaced, blank_id = good[3][:], good[4][:], good[7][:], good[8][:], good[2][:]
    bad_date[1] = "20161399"
    bad_goldstein[30] = "abc"
    bad_mentions[31] = "many"
    spaced[32] = " 3 "
    blank_id[0] = "   "
    rows = [
        good[0],
        good[1],
        [""],
        good[2][:20],
        bad_date,
        bad_goldstein,
        good[5] + ["x", "y"],
        good[6],
        bad_mentions,
        spaced,
        blank_id,
    ]
    path = tmp_path / "mixed.tsv"
    mis_encoded = "\t".join(good[9][:6]).encode() + b"\t\xff\xfe\t" + "\t".join(good[9][7:]).encode()
    path.write_bytes("\n".join("\t".join(r) for r in rows).encode() + b"\n" + mis_encoded + b"\n")
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=gdelt)
        quarantined = con.execute("SELECT line_number, reason, raw_line FROM quarantine ORDER BY line_number").fetchall()
        stored = dict(con.execute("SELECT event_id, num_sources FROM events").fetchall())
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (11, 4, 7)
    assert [(line, reason.split(":")[0]) for line, reason, _ in quarantined] == [
        (4, "too few columns"),
        (5, "SQLDATE 20161399 is not a date (YYYYMMDD)"),
        (6, "GoldsteinScale abc is not a number in -10..10"),
        (7, "too many columns"),
        (9, "NumMentions many is not a whole number"),
        (11, "GLOBALEVENTID is blank (spaces only)"),
        (12, "bytes that are not UTF-8 text"),
    ]
    assert quarantined[1][2] == "\t".join(bad_date)
    assert stored.keys() == {f"gdelt1:{good[i][0]}" for i in (0, 1, 6, 8)}
    assert stored[f"gdelt1:{good[8][0]}"] == 3


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(max_size=400))
def test_parser_never_raises_on_arbitrary_bytes(tmp_path_factory, gdelt2_lines, garbage: bytes) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "export.CSV"
    path.write_bytes(gdelt2_lines[0].encode() + b"\n" + garbage + b"\n" + gdelt2_lines[1].encode() + b"\n")
    with open_store(Settings(db=folder / "store.duckdb", threads=1)) as con:
        [result] = ingest_paths(con, [str(path)], reader=gdelt)
        quarantined = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    assert result.rows_stored >= 2 - result.rows_duplicate
    assert result.rows_read == result.rows_stored + result.rows_duplicate + result.rows_quarantined
    assert quarantined == result.rows_quarantined
