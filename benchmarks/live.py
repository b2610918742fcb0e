"""Live benchmark: from a new 15-minute GDELT file on the feed to its alerts delivered.

Builds a synthetic store of N events (default 10M; the generator of benchmarks/indicators.py:
real CAMEO rows of the bundled Georgia slice over ~40,000 skewed pairs, the five years up to
2017-06-30), settles it as an ingest leaves a store (rows clustered into incidents, weekly
pair aggregates, events laid out by pair), serves three 15-minute exports cut from the
real GDELT 2.0 sample (published 2017-07-01 23:45, right after the store's history, so their
pairs have one) from a local HTTP server, and runs one watch cycle per file, delivering to a
JSON-lines file and a local webhook. Reports, per file, the seconds from the poll of
``lastupdate.txt`` to the last delivery, split into download and checks, ingest,
deduplication and alerts, and delivery; and, as the reference measured in the same process,
one plain DuckDB scan of the events table (``count(*)`` grouped by pair).

Usage: python benchmarks/live.py [--events 10000000] [--workdir benchmarks/work] [--no-record]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import http.server
import io
import os
import threading
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import httpx

from flashpoint.config import Settings
from flashpoint.escalation.alerts import compile_watch_queries
from flashpoint.refresh import settle
from flashpoint.store.connection import open_store
from flashpoint.watch import run_cycle

from indicators import build
from results import commit as current_commit
from results import machine, record

REPO = Path(__file__).resolve().parents[1]
SAMPLE = (
    Path(os.environ.get("FLASHPOINT_SHARED_DATA", REPO.parent / "shared" / "data"))
    / "gdelt_raw_samples"
    / "gdelt2_export_20170701234500_gdeltPyR.csv"
)
STAMPS = ("20170701234500", "20170702000000", "20170702001500")


def exports() -> dict[str, bytes]:
    """The real sample split into three zipped 15-minute exports in GDELT's raw layout, by
    ranges of event ids (as GDELT numbers its events, each file's ids follow the last's)."""
    with open(SAMPLE, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    drop = rows[0].index("CAMEOCodeDescription")
    data = sorted((r[:drop] + r[drop + 1 :] for r in rows[1:]), key=lambda r: int(r[0]))
    files = {}
    for i, stamp in enumerate(STAMPS):
        text = io.StringIO()
        csv.writer(text, delimiter="\t", lineterminator="\n").writerows(data[i * len(data) // 3 : (i + 1) * len(data) // 3])
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{stamp}.export.CSV", text.getvalue())
        files[stamp] = buffer.getvalue()
    return files


class Feed(http.server.ThreadingHTTPServer):
    """Serves ``files`` by path and accepts POSTs to /hook (the webhook)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.posts = 0
        feed = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body = feed.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                feed.posts += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def publish(self, stamp: str, data: bytes) -> None:
        self.files[f"/gdeltv2/{stamp}.export.CSV.zip"] = data
        self.files["/gdeltv2/lastupdate.txt"] = (
            f"{len(data)} {hashlib.md5(data).hexdigest()} {self.url}/gdeltv2/{stamp}.export.CSV.zip\n"
        ).encode()


#: The stores measured: none of the events appended since the last layout by pair, and the
#: most the default ``layout_share`` leaves appended before the next one (docs/adr/016): the
#: watch's steady state lies between.
SHARE = Settings(db=Path("unused")).layout_share
TAILS = {"laid out": 0.0, f"{SHARE:.0%} appended since the layout": SHARE}


def _prepare(con, settings: Settings, events: int, tail: float) -> None:  # noqa: ANN001 - a DuckDB connection
    """The synthetic store as ingests leave it: rows clustered into incidents, weekly pair
    aggregates up to date, events laid out by pair — then, when ``tail``, that share of the
    events appended and settled after the layout (not enough for the next one)."""
    appended = int(events * tail)
    build(con, events - appended, last_day="2017-06-30")
    settle(con, settings)
    if appended:
        build(con, appended, last_day="2017-06-30", first=events - appended, ingest_id=-1)
        settle(con, settings, ingest_ids=[-1])
    con.execute("CHECKPOINT")  # a store the watch opens has its history on disk, not in the log


def measure(workdir: Path, events: int, tail: float) -> dict[str, object]:
    db = workdir / f"live_{events}.duckdb"
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    feed = Feed()
    threading.Thread(target=feed.serve_forever, daemon=True).start()
    settings = replace(
        Settings(db=db),
        gdelt_base_url=feed.url,
        download_dir=workdir / "live_downloads",
        alerts_jsonl=workdir / "live_alerts.jsonl",
        webhook_url=f"{feed.url}/hook",
    )
    cycles = []
    with open_store(settings) as con:
        _prepare(con, settings, events, tail)
        stored = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
        start = time.perf_counter()
        con.execute(
            "SELECT least(actor1_iso3, actor2_iso3), greatest(actor1_iso3, actor2_iso3), count(*) FROM events GROUP BY ALL"
        ).fetchall()
        reference = time.perf_counter() - start
        compile_watch_queries(con, settings)  # as `flashpoint watch` does before its first poll
        with httpx.Client(timeout=60.0) as client:
            for stamp, data in exports().items():
                feed.publish(stamp, data)
                start = time.perf_counter()
                report = run_cycle(con, settings, client)
                cycles.append(
                    {
                        "file": stamp,
                        "seconds": time.perf_counter() - start,
                        "steps": report.seconds,
                        "alerts": len(report.alerts),
                        "delivered": report.delivered,
                    }
                )
    feed.shutdown()
    db.unlink(missing_ok=True)
    return {"events": stored, "reference_s": reference, "cycles": cycles}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "work")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = {name: measure(args.workdir, args.events, tail) for name, tail in TAILS.items()}
    stored = next(iter(results.values()))["events"]
    lines = [
        f"\n# Live watch (`python benchmarks/live.py`)\n\n## {time.strftime('%Y-%m-%d')} — commit {current_commit()}",
        f"\nMachine: {machine()}. Store of {stored:,} synthetic events, settled as ingests leave it; "
        "three real 15-minute exports (about 2,030 rows each) served locally; one watch cycle per file, "
        "from the poll of lastupdate.txt to the last delivery (JSON-lines file and local webhook); an "
        "update of the touched pairs' stored timelines and a layout of the events by pair that falls due run "
        "after the delivery, and are shown apart. "
        "Reference in the same process: one plain scan of the events grouped by pair.\n",
        "| store | file | to delivery (s) | download+checks | ingest | dedup+alerts | deliver | alerts | "
        "deliveries | timelines after (s) | layout after (s) | reference scan (s) | to delivery / reference |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        for c in result["cycles"]:
            steps = c["steps"]
            delivered = c["seconds"] - steps.get("layout", 0.0) - steps.get("timelines", 0.0)
            lines.append(
                f"| {name} | {c['file']} | **{delivered:.2f}** | {steps.get('download', 0):.2f} | "
                f"{steps.get('ingest', 0):.2f} | {steps.get('alerts', 0):.2f} | "
                f"{steps.get('deliver', 0):.2f} | {c['alerts']} | {c['delivered']} | "
                f"{steps.get('timelines', 0):.2f} | {steps.get('layout', 0):.2f} | {result['reference_s']:.2f} | "
                f"{delivered / result['reference_s']:.1f} |"
            )
    lines.append("\nTarget: ≤ 1 s from a new file to its alerts delivered, on a store of ≥ 10M events.")
    record(lines, append=not args.no_record)


if __name__ == "__main__":
    main()
