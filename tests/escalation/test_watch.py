"""The live watch, end to end against a local server serving 15-minute files built from a real export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from flashpoint.config import Settings
from flashpoint.escalation import delivery
from flashpoint.escalation.timelines import timelines_current
from flashpoint.store.connection import open_store
from flashpoint.watch import watch
from tests.conftest import kill_at

STAMPS = ("20170701234500", "20170702000000", "20170702001500")


@pytest.fixture(scope="module")
def exports(shared_data: Path) -> dict[str, bytes]:
    """The real GDELT 2.0 export of 2017-07-01 23:45 dealt round-robin into three zipped 15-minute
    files (each with the export's mix of event dates) in the raw layout (the sample's added
    CAMEOCodeDescription column removed)."""
    with open(shared_data / "gdelt_raw_samples" / "gdelt2_export_20170701234500_gdeltPyR.csv", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    drop = rows[0].index("CAMEOCodeDescription")
    data = [r[:drop] + r[drop + 1 :] for r in rows[1:]]
    files = {}
    for i, stamp in enumerate(STAMPS):
        text = io.StringIO()
        csv.writer(text, delimiter="\t", lineterminator="\n").writerows(data[i::3])
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{stamp}.export.CSV", text.getvalue())
        files[stamp] = buffer.getvalue()
    return files


def _publish(feed, exports: dict[str, bytes], stamp: str, body: bytes | None = None) -> None:  # noqa: ANN001
    """Serve the export of ``stamp`` (or other bytes under its name) and name it in lastupdate.txt
    and at the end of masterfilelist.txt."""
    data = exports[stamp]
    url = f"{feed.url}/gdeltv2/{stamp}.export.CSV.zip"
    feed.files[f"/gdeltv2/{stamp}.export.CSV.zip"] = data if body is None else body
    listed = (
        f"{len(data)} {hashlib.md5(data).hexdigest()} {url}\n"
        f"1234 0123456789abcdef0123456789abcdef {feed.url}/gdeltv2/{stamp}.mentions.CSV.zip\n"
    ).encode()
    feed.files["/gdeltv2/lastupdate.txt"] = listed
    master = feed.files.get("/gdeltv2/masterfilelist.txt", b"")
    if listed not in master:  # GDELT's list grows at its end
        feed.files["/gdeltv2/masterfilelist.txt"] = master + listed


def _first_file_watched(settings: Settings, feed, exports: dict[str, bytes]) -> None:  # noqa: ANN001
    """Publish the first 15-minute file and run one watch cycle on it."""
    _publish(feed, exports, STAMPS[0])
    with open_store(settings) as con:
        watch(con, settings, cycles=1)


@pytest.fixture
def live(settings: Settings, tmp_path: Path, feed_server, monkeypatch) -> tuple[Settings, list[dict]]:  # noqa: ANN001
    """Settings pointing the watch at the local feed, with a red line any hostile event between
    two countries crosses (one 15-minute file is too little history for a change point), and a
    webhook receiver that refuses its first POST."""
    rules = tmp_path / "redlines.toml"
    rules.write_text(
        '[[rule]]\nname = "any-hostility"\ndescription = "Any conflictual event between the two"\n'
        'codes = ["11", "12", "13", "14", "15", "16", "17", "18", "19", "20"]\nlevel = "warning"\n',
        encoding="utf-8",
    )
    received: list[dict] = []
    calls = {"n": 0}

    def hook(method: str, query: dict, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
        calls["n"] += 1
        if calls["n"] == 1:
            return 503, {}, b"busy"
        received.append(json.loads(body))
        return 200, {}, b"ok"

    feed_server.routes["/hook"] = hook
    monkeypatch.setattr(delivery, "BACKOFF_SECONDS", 0.01)
    return replace(
        settings,
        gdelt_base_url=feed_server.url,
        download_dir=tmp_path / "downloads",
        webhook_url=f"{feed_server.url}/hook",
        alerts_jsonl=tmp_path / "alerts.jsonl",
        watch_interval_seconds=0.0,
        redlines_file=rules,
    ), received


@pytest.mark.shared_data
def test_three_files_across_a_restart_deliver_every_alert_once(live, feed_server, exports) -> None:  # noqa: ANN001
    settings, received = live
    _publish(feed_server, exports, STAMPS[0])
    with open_store(settings) as con:
        watch(con, settings, cycles=1)
        first = {r[0] for r in con.execute("SELECT alert_id FROM alerts").fetchall()}
    assert first and {a["alert_id"] for a in received} == first  # delivered despite the first POST failing

    # The watch is down while two more files appear; lastupdate.txt names only the newest.
    _publish(feed_server, exports, STAMPS[1])
    _publish(feed_server, exports, STAMPS[2])
    shown: list[dict] = []
    with open_store(settings) as con:
        watch(con, settings, cycles=2, on_alert=shown.append)
        files = con.execute("SELECT url, status FROM watch_files ORDER BY url").fetchall()
        ingests = con.execute("SELECT count(*), sum(rows_stored) FROM ingests").fetchall()[0]
        stored = con.execute("SELECT alert_id, level_rank FROM alerts WHERE raised_by = 'watch'").fetchall()
        assert timelines_current(con, settings)  # brought up to date after each cycle's deliveries
    assert [status for _, status in files] == ["done"] * 3 and [u.rsplit("/", 1)[1][:14] for u, _ in files] == list(STAMPS)
    assert ingests == (3, 6090)
    delivered = [(a["alert_id"], a["level"]) for a in received]
    assert len(delivered) == len(set(delivered))  # nothing repeated, across the restart too
    assert {a for a, _ in delivered} == {a for a, _ in stored} and len(stored) > len(first)
    lines = [json.loads(line) for line in settings.alerts_jsonl.read_text().splitlines()]
    assert [(a["alert_id"], a["level"]) for a in lines] == delivered
    assert {a["alert_id"] for a in shown} == {a for a, _ in stored}  # the terminal had not seen any before
    assert [(a["pair"], a["period"], a["why"], a["evidence"]) for a in received if not a["evidence"]] == []


@pytest.mark.shared_data
def test_a_corrupt_file_is_reported_skipped_and_retried(live, feed_server, exports) -> None:  # noqa: ANN001
    settings, _ = live
    _publish(feed_server, exports, STAMPS[0])
    with open_store(settings) as con:
        watch(con, settings, cycles=1)
        before = con.execute("SELECT count(*), (SELECT count(*) FROM ingests) FROM events").fetchall()
    broken = bytearray(exports[STAMPS[1]])
    broken[len(broken) // 2] ^= 0xFF
    _publish(feed_server, exports, STAMPS[1], body=bytes(broken))
    reports = []
    with open_store(settings) as con:
        watch(con, settings, cycles=1, on_cycle=reports.append)
        after = con.execute("SELECT count(*), (SELECT count(*) FROM ingests) FROM events").fetchall()
        status = con.execute("SELECT status, attempts, message FROM watch_files WHERE url LIKE ?", [f"%{STAMPS[1]}%"]).fetchall()
    assert after == before
    assert reports[0].failed and "MD5" in reports[0].failed[0][1]
    assert status[0][:2] == ("failed", 1) and "tried again" in status[0][2]
    _publish(feed_server, exports, STAMPS[1])  # the mirror serves the right bytes now
    with open_store(settings) as con:
        watch(con, settings, cycles=1)
        status = con.execute("SELECT status FROM watch_files WHERE url LIKE ?", [f"%{STAMPS[1]}%"]).fetchall()
        ingests = con.execute("SELECT count(*) FROM ingests").fetchall()[0][0]
    assert status == [("done",)] and ingests == 2


@pytest.mark.shared_data
def test_a_gap_slot_not_on_the_server_yet_is_tried_again_not_given_up(live, feed_server, exports) -> None:  # noqa: ANN001
    settings, _ = live
    _first_file_watched(settings, feed_server, exports)
    # The mirror lists the newest file while the one before it is still missing (a transient 404).
    feed_server.files.pop(f"/gdeltv2/{STAMPS[1]}.export.CSV.zip", None)
    _publish(feed_server, exports, STAMPS[2])
    feed_server.files.pop(f"/gdeltv2/{STAMPS[1]}.export.CSV.zip", None)
    with open_store(settings) as con:
        watch(con, settings, cycles=1)
        status = con.execute("SELECT status FROM watch_files WHERE url LIKE ?", [f"%{STAMPS[1]}%"]).fetchall()
    assert status == [("failed",)]  # not 'missing' for good after one 404
    _publish(feed_server, exports, STAMPS[1])  # it appears
    _publish(feed_server, exports, STAMPS[2])
    with open_store(settings) as con:
        watch(con, settings, cycles=1)
        status = con.execute("SELECT status FROM watch_files ORDER BY url").fetchall()
    assert status == [("done",)] * 3


@pytest.mark.shared_data
def test_a_file_filling_a_gap_is_checked_against_the_md5_of_gdelts_master_list(live, feed_server, exports) -> None:  # noqa: ANN001
    settings, _ = live
    _first_file_watched(settings, feed_server, exports)
    # While the watch is down, a mirror serves a valid zip in place of the file before the newest.
    _publish(feed_server, exports, STAMPS[1], body=exports[STAMPS[0]])
    _publish(feed_server, exports, STAMPS[2])
    reports = []
    with open_store(settings) as con:
        watch(con, settings, cycles=1, on_cycle=reports.append)
        status = con.execute("SELECT status, message FROM watch_files WHERE url LIKE ?", [f"%{STAMPS[1]}%"]).fetchall()
    assert [name[:14] for name in reports[0].processed] == [STAMPS[2]]
    assert status[0][0] == "failed" and "does not match GDELT's list" in status[0][1]
    assert any(
        path == "/gdeltv2/masterfilelist.txt" and ranged == f"bytes=-{1 << 20}" for path, ranged in feed_server.requests
    )  # the end of the list only


@pytest.mark.shared_data
def test_alerts_sent_just_before_a_kill_are_not_repeated_in_the_file_and_carry_one_key(live, feed_server, exports) -> None:  # noqa: ANN001
    settings, _ = live
    keys: list[str] = []

    def hook(method: str, query: dict, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
        keys.append(headers.get("Idempotency-Key"))
        return 200, {}, b"ok"

    feed_server.routes["/hook"] = hook
    _publish(feed_server, exports, STAMPS[0])
    with open_store(settings) as con:
        watch(con, settings, cycles=1)
        sent = con.execute("SELECT count(*) FROM alert_deliveries WHERE sink = 'jsonl'").fetchone()[0]
        # A kill between sending an alert and recording it: its delivery to each sink was not written.
        con.execute("DELETE FROM alert_deliveries WHERE rowid IN (SELECT max(rowid) FROM alert_deliveries GROUP BY sink)")
    with open_store(settings) as con:
        watch(con, settings, cycles=1)
        recorded = con.execute("SELECT count(*) FROM alert_deliveries WHERE sink = 'jsonl'").fetchone()[0]
    lines = [json.loads(line) for line in settings.alerts_jsonl.read_text().splitlines()]
    assert sent > 0 and recorded == sent
    assert len(lines) == sent  # the file holds each alert once
    assert len(keys) == sent + 1 and len(set(keys)) == sent and None not in keys  # the webhook can tell the repeat


def _watch_process(settings: Settings, db: Path) -> list[str]:
    """The command line of one watch cycle over ``db`` with ``settings``' feed, red lines and file sink."""
    return [sys.executable, "-m", "flashpoint", "-v", "--db", str(db), "watch", "--cycles", "1"]


def _watch_env(settings: Settings, tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "COLUMNS": "400",
        "FLASHPOINT_GDELT_BASE_URL": settings.gdelt_base_url,
        "FLASHPOINT_DOWNLOAD_DIR": str(tmp / "downloads"),
        "FLASHPOINT_ALERTS_JSONL": str(tmp / "alerts.jsonl"),
        "FLASHPOINT_REDLINES_FILE": str(settings.redlines_file),
        "FLASHPOINT_WATCH_INTERVAL_SECONDS": "0.01",
    }


def _outcome(db: Path, jsonl: Path) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute(
            "SELECT count(*), count(DISTINCT event_id), count(*) - count(cluster_id), "
            "(SELECT count(*) FROM alerts), (SELECT list(status) FROM watch_files) FROM events"
        ).fetchone()
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    return stored, sorted((a["alert_id"], a["level"]) for a in lines)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "phase", ["ingesting ", "ingested ", "deduplication:"], ids=["before-commit", "after-commit", "after-deduplication"]
)
def test_a_watch_killed_at_any_phase_resumes_to_the_same_store_and_deliveries(
    live, feed_server, exports, tmp_path: Path, phase: str
) -> None:  # noqa: ANN001
    settings, _ = live
    _publish(feed_server, exports, STAMPS[0])
    reference = tmp_path / "reference"
    subprocess.run(
        _watch_process(settings, reference / "store.duckdb"), env=_watch_env(settings, reference), check=True, capture_output=True
    )
    killed = tmp_path / "killed"
    command, env = _watch_process(settings, killed / "store.duckdb"), _watch_env(settings, killed)
    kill_at(command, env, phase)
    subprocess.run(command, env=env, check=True, capture_output=True)  # restarted: one more cycle
    assert _outcome(killed / "store.duckdb", killed / "alerts.jsonl") == _outcome(
        reference / "store.duckdb", reference / "alerts.jsonl"
    )
