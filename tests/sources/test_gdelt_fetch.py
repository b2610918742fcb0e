"""`flashpoint fetch gdelt` against a local server serving zipped exports built from real rows."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from flashpoint.cli import app
from flashpoint.sources.gdelt_fetch import parse_list

runner = CliRunner()


def _zipped(name: str, lines: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, "\n".join(lines) + "\n")
    return buffer.getvalue()


def _serve_gdelt2(feed_server, lines: list[str]) -> dict[str, bytes]:  # noqa: ANN001
    files = {
        "20170701234500.export.CSV.zip": _zipped("20170701234500.export.CSV", lines[:5]),
        "20170702000000.export.CSV.zip": _zipped("20170702000000.export.CSV", lines[5:]),
        "20170702001500.export.CSV.zip": _zipped("20170702001500.export.CSV", lines[:2]),
        "20170801000000.export.CSV.zip": _zipped("20170801000000.export.CSV", lines[:1]),  # out of range
    }
    listing = []
    for name, body in files.items():
        md5 = hashlib.md5(body).hexdigest()
        if name.startswith("20170702001500"):
            md5 = "0" * 32  # the list disagrees with the file: a corrupt download
        listing.append(f"{len(body)} {md5} {feed_server.url}/gdeltv2/{name}")
        feed_server.files[f"/gdeltv2/{name}"] = body
    listing.append(f"1234 {'a' * 32} {feed_server.url}/gdeltv2/20170701234500.mentions.CSV.zip")
    feed_server.files["/gdeltv2/masterfilelist.txt"] = ("\n".join(listing) + "\n").encode()
    return files


def _run(tmp_path: Path, feed_server) -> object:  # noqa: ANN001
    env = {"FLASHPOINT_GDELT_BASE_URL": feed_server.url, "FLASHPOINT_DOWNLOAD_DIR": str(tmp_path / "downloads"), "COLUMNS": "200"}
    return runner.invoke(
        app, ["--db", str(tmp_path / "store.duckdb"), "fetch", "gdelt", "--since", "2017-07-01", "--until", "2017-07-02"], env=env
    )


def test_fetch_checks_md5_refuses_corrupt_files_and_resumes(tmp_path: Path, feed_server, gdelt2_lines) -> None:
    _serve_gdelt2(feed_server, gdelt2_lines)
    feed_server.cut_once.add("/gdeltv2/20170702000000.export.CSV.zip")

    first = _run(tmp_path, feed_server)
    assert first.exit_code == 1  # files were refused: the command says so
    assert "20170702001500.export.CSV.zip: MD5" in first.output
    assert "20170702000000.export.CSV.zip: download failed" in first.output
    assert (tmp_path / "downloads" / "gdelt2" / "20170702000000.export.CSV.zip.part").exists()
    with duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 5

    second = _run(tmp_path, feed_server)
    assert "20170702000000.export.CSV.zip: download failed" not in second.output
    assert ("/gdeltv2/20170702000000.export.CSV.zip", None) in feed_server.requests
    resumed = [r for p, r in feed_server.requests if p.endswith("20170702000000.export.CSV.zip") and r]
    assert resumed and resumed[0].startswith("bytes=") and resumed[0] != "bytes=0-"
    with duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True) as con:
        events, files = con.execute("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM ingests)").fetchone()
        ids = {r[0] for r in con.execute("SELECT event_id FROM events").fetchall()}
    assert events == 10 and files == 2  # every row once; the corrupt file stored nothing
    assert ids == {f"gdelt2:{line.split(chr(9))[0]}" for line in gdelt2_lines}
    assert not any(p.endswith("20170801000000.export.CSV.zip") for p, _ in feed_server.requests)
    assert not any("mentions" in p for p, _ in feed_server.requests)

    third = _run(tmp_path, feed_server)  # nothing new: no download, no duplicate
    downloads = [p for p, _ in feed_server.requests if p.endswith("20170701234500.export.CSV.zip")]
    assert len(downloads) == 1
    assert "0 events stored" in third.output.replace("\n", " ")


def test_fetch_reports_an_unreachable_list(tmp_path: Path, feed_server) -> None:
    result = _run(tmp_path, feed_server)  # the server has no list
    assert result.exit_code == 1
    assert "cannot read GDELT's file list" in str(result.exception)


def test_gdelt1_md5sums_list_names_daily_exports() -> None:
    text = "d41d8cd98f00b204e9800998ecf8427e  20160728.export.CSV.zip\n0cc175b9c0f1b6a831c399e269772661  2005.zip\nnot a line\n"
    [listed] = parse_list(text, 1, "http://mirror.example/")
    assert listed.url == "http://mirror.example/events/20160728.export.CSV.zip"
    assert listed.day.isoformat() == "2016-07-28"
