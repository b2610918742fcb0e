"""Live watch of the GDELT 2.0 feed: every new 15-minute export, checked, ingested, alerted.

Each cycle reads ``gdeltv2/lastupdate.txt`` under the ``gdelt_base_url`` setting. The files
due are every 15-minute slot after the last one processed up to the newest (a watch that
was stopped fills the gap: nothing is missed), plus files that failed before (retried up to
:data:`MAX_ATTEMPTS` times). Each file is downloaded, checked (its MD5 as
``lastupdate.txt`` gives it for the newest and the end of ``masterfilelist.txt`` for the others,
and the zip's own CRC), ingested (atomically), deduplicated, and the alerts of the pairs
it touched are raised for the periods it touched, incrementally. Progress is kept in the
store (``watch_files``), so a restart resumes where the watch stopped; a corrupt file is
reported, leaves the store unchanged and is tried again in the next cycle.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import httpx

from flashpoint.config import Settings, default_download_dir
from flashpoint.errors import FlashpointError
from flashpoint.escalation.alerts import compile_watch_queries, raise_alerts
from flashpoint.escalation.delivery import deliver_alerts
from flashpoint.escalation.timelines import bring_up_to_date
from flashpoint.forecasts.warning import live_warnings
from flashpoint.indicators.weekly import stored_weeks_state
from flashpoint.lake.store_view import refuse_lake_store
from flashpoint.refresh import settle
from flashpoint.sources import gdelt
from flashpoint.sources.gdelt_fetch import ListedFile, download, file_md5, parse_list, recent_exports
from flashpoint.store.ingest import ingest_paths
from flashpoint.store.layout import lay_out_if_due

log = logging.getLogger(__name__)

LAST_UPDATE = "gdeltv2/lastupdate.txt"
SLOT = dt.timedelta(minutes=15)
#: Attempts at a file that fails its checks before the watch gives up on it.
MAX_ATTEMPTS = 5
#: Most missed slots a restarted watch fills (two days); older ones are left to 'flashpoint fetch gdelt'.
MAX_GAP_SLOTS = 192
#: Events dated more than this many days before their file was published raise no live alert.
LATE_DAYS = 7
_STAMP = re.compile(r"(\d{14})\.export\.CSV\.zip$")


class CorruptFile(FlashpointError, ValueError):
    """A downloaded file failed its checks."""


@dataclass
class CycleReport:
    """What one watch cycle did."""

    processed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    delivered: int = 0
    #: Seconds spent per step (download, ingest, alerts, deliver; after the delivery, timelines
    #: when the stored pair timelines were brought up to date and layout when the events were
    #: laid out again), summed over the cycle's files.
    seconds: dict[str, float] = field(default_factory=dict)

    def timed(self, step: str, started: float) -> None:
        """Add the time since ``started`` (a ``time.perf_counter()`` reading) to ``step``."""
        self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - started


def _stamp(url: str) -> dt.datetime:
    return dt.datetime.strptime(_STAMP.search(url).group(1), "%Y%m%d%H%M%S")


def _due(con: duckdb.DuckDBPyConnection, latest: ListedFile) -> list[ListedFile]:
    """The files to process now, oldest first: slots after the last processed one, and retries
    (with the MD5 of the newest only: :func:`_with_md5` finds the others')."""
    done = con.execute("SELECT max(url) FILTER (WHERE status IN ('done', 'missing')) FROM watch_files").fetchall()[0][0]
    newest = _stamp(latest.url)
    folder = latest.url[: latest.url.rindex("/") + 1]
    slots = [newest]
    if done is not None:
        start = max(_stamp(done) + SLOT, newest - SLOT * (MAX_GAP_SLOTS - 1))
        count = int((newest - start) / SLOT) + 1
        slots = [start + SLOT * i for i in range(max(count, 0))]
    retries = [
        r[0]
        for r in con.execute("SELECT url FROM watch_files WHERE status = 'failed' AND attempts < ?", [MAX_ATTEMPTS]).fetchall()
    ]
    due = {}
    for url in retries + [f"{folder}{s:%Y%m%d%H%M%S}.export.CSV.zip" for s in slots]:
        name = url.rsplit("/", 1)[-1]
        due[url] = ListedFile(url=url, name=name, md5=latest.md5 if url == latest.url else "", day=_stamp(url).date())
    return sorted(due.values(), key=lambda f: f.url)


def _with_md5(client: httpx.Client, settings: Settings, due: list[ListedFile]) -> list[ListedFile]:
    """``due`` with the MD5 GDELT's master list gives each file; a file it does not name (or
    every file, when the list cannot be read) keeps an empty MD5 and is not downloaded yet."""
    if all(listed.md5 for listed in due):
        return due
    try:
        md5 = {listed.url: listed.md5 for listed in recent_exports(client, settings.gdelt_base_url)}
    except httpx.HTTPError as exc:
        log.warning("GDELT's file list cannot be read (%s): files before the newest wait for it", exc)
        md5 = {}
    return [listed if listed.md5 else replace(listed, md5=md5.get(listed.url, "")) for listed in due]


def _fetch_checked(client: httpx.Client, listed: ListedFile, folder: Path) -> Path:
    """Download a file and check it; raises CorruptFile when it fails a check (and deletes it)."""
    target = folder / listed.name
    target.unlink(missing_ok=True)
    download(client, listed, target)
    problem = None
    if listed.md5 and (actual := file_md5(target)) != listed.md5:
        problem = f"MD5 {actual} does not match GDELT's list ({listed.md5})"
    else:
        try:
            with zipfile.ZipFile(target) as archive:
                bad = archive.testzip()
            problem = None if bad is None else f"member {bad} fails its CRC check"
        except zipfile.BadZipFile as exc:
            problem = f"not a valid zip file ({exc})"
    if problem is not None:
        target.unlink()
        raise CorruptFile(f"{listed.name}: {problem}; nothing was ingested, it will be tried again")
    return target


def _mark(con: duckdb.DuckDBPyConnection, url: str, status: str, message: str | None = None) -> None:
    con.execute(
        "INSERT INTO watch_files VALUES (?, ?, 1, ?, localtimestamp) ON CONFLICT (url) DO UPDATE SET "
        "status = excluded.status, attempts = watch_files.attempts + 1, message = excluded.message, "
        "updated_at = excluded.updated_at",
        [url, status, message],
    )


def _alert_on(
    con: duckdb.DuckDBPyConnection, settings: Settings, path: Path, published: dt.datetime
) -> tuple[list[str], tuple[str, ...]]:
    """Raise the alerts of the pairs and periods the file's events touched (with their warning
    probabilities, by the fit ``alerts raise`` stored), from the period of
    :data:`LATE_DAYS` before its publication on (older events reported late update the store,
    and a batch ``raise_alerts`` sees them); returns them and the pairs touched. The file's
    ingest is found by its path, so a file ingested before a crash, and skipped now, still
    raises its alerts."""
    ids = [r[0] for r in con.execute("SELECT ingest_id FROM ingests WHERE path LIKE ?", [f"{path}%"]).fetchall()]
    if not ids:
        return [], ()
    settled = settle(con, settings, ingest_ids=ids, lay_out=False, timelines=False)
    if not settled.pairs:
        return [], ()
    first = con.execute(
        "SELECT min(event_date) FROM events WHERE list_contains(?, ingest_id) AND pair IS NOT NULL", [ids]
    ).fetchall()[0][0]
    since = max(first, published.date() - dt.timedelta(days=LATE_DAYS))
    chances = live_warnings(con, settings, settled.pairs, since) if settings.alert_method == "probability" else None
    return raise_alerts(
        con, settings, pairs=settled.pairs, since=since, raised_by="watch", copied=settled.copied, warnings=chances
    ).raised, settled.pairs


def _failed(con: duckdb.DuckDBPyConnection, report: CycleReport, listed: ListedFile, reason: str) -> None:
    """Record a file that failed a check or the ingest (it is tried again in the next cycles)."""
    _mark(con, listed.url, "failed", reason)
    report.failed.append((listed.name, reason))
    log.warning("%s", reason)


def _absent(con: duckdb.DuckDBPyConnection, report: CycleReport, listed: ListedFile, reason: str) -> None:
    """Record a slot before the newest that cannot be had yet. A mirror may lag: the slot counts
    as skipped by GDELT only after :data:`MAX_ATTEMPTS` cycles, and is tried again until then."""
    tried = con.execute("SELECT attempts FROM watch_files WHERE url = ?", [listed.url]).fetchall()
    if (tried[0][0] if tried else 0) + 1 >= MAX_ATTEMPTS:
        _mark(con, listed.url, "missing", f"{reason} after {MAX_ATTEMPTS} tries (GDELT skipped this slot)")
        report.missing.append(listed.name)
    else:
        _failed(
            con,
            report,
            listed,
            f"{listed.name}: {reason}; tried again in the next cycles, and counted as a "
            f"slot GDELT skipped after {MAX_ATTEMPTS} tries",
        )


def _process(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    client: httpx.Client,
    listed: ListedFile,
    folder: Path,
    report: CycleReport,
    /,
    *,
    newest: bool,
) -> tuple[str, ...]:
    """Download, check and ingest one due file and raise its alerts, recording what happened in
    ``report``; returns the pairs its events touched. ``newest``: the file lastupdate.txt names
    (a 404 for it is an error, not a slot GDELT skipped)."""
    started = time.perf_counter()
    try:
        if not listed.md5:  # a file before the newest that GDELT's list does not name (yet)
            _absent(con, report, listed, "not in GDELT's file list, so it cannot be checked")
            return ()
        path = _fetch_checked(client, listed, folder)
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code == 404 and not newest:
            _absent(con, report, listed, "not on the server (404)")
            return ()
        raise
    except CorruptFile as exc:
        _failed(con, report, listed, str(exc))
        return ()
    report.timed("download", started)
    started = time.perf_counter()
    try:
        ingest_paths(con, [str(path)], reader=gdelt)
    except FlashpointError as exc:  # not a GDELT export: rolled back, reported, tried again
        _failed(con, report, listed, str(exc))
        return ()
    report.timed("ingest", started)
    started = time.perf_counter()
    raised, pairs = _alert_on(con, settings, path, _stamp(listed.url))
    report.alerts += raised
    _mark(con, listed.url, "done")
    report.processed.append(listed.name)
    report.timed("alerts", started)
    return pairs


def run_cycle(
    con: duckdb.DuckDBPyConnection, settings: Settings, client: httpx.Client, /, *, on_alert: Callable[[dict], None] | None = None
) -> CycleReport:
    """One poll: process every due file, then deliver the new alerts.

    Raises
    ------
    httpx.HTTPError
        When ``lastupdate.txt`` cannot be read (the caller retries in the next cycle).
    """
    report = CycleReport()
    response = client.get(f"{settings.gdelt_base_url.rstrip('/')}/{LAST_UPDATE}")
    response.raise_for_status()
    exports = parse_list(response.text, 2, settings.gdelt_base_url)
    if not exports:
        log.warning("%s lists no event export; trying again next cycle", LAST_UPDATE)
        return report
    folder = (settings.download_dir or default_download_dir()) / "gdelt2-live"
    folder.mkdir(parents=True, exist_ok=True)
    weeks_before, touched = stored_weeks_state(con), set()
    for listed in _with_md5(client, settings, _due(con, exports[-1])):
        touched.update(_process(con, settings, client, listed, folder, report, newest=listed.url == exports[-1].url))
    started = time.perf_counter()
    report.delivered = deliver_alerts(con, settings, on_alert=on_alert, client=client)
    report.timed("deliver", started)
    if report.processed:  # after the delivery: no alert waits for these
        started = time.perf_counter()
        if bring_up_to_date(con, settings, pairs=tuple(sorted(touched)), weeks_before=weeks_before):
            report.timed("timelines", started)
        started = time.perf_counter()
        if lay_out_if_due(con, settings):
            report.timed("layout", started)
    return report


def watch(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    /,
    *,
    cycles: int | None = None,
    on_alert: Callable[[dict], None] | None = None,
    on_cycle: Callable[[CycleReport], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Poll every ``watch_interval_seconds`` until ``stop`` is set or ``cycles`` cycles ran.

    A network error skips the cycle (logged); the next one tries again.

    Raises
    ------
    InvalidInput
        When the store reads a Parquet lake: the live watch ingests into a store of its own events
        (each 15-minute file within its 1 s budget, which a Spark job does not meet).
    """
    refuse_lake_store(con)
    stop = stop or threading.Event()
    done = 0
    compile_watch_queries(con, settings)
    with httpx.Client(timeout=60.0, follow_redirects=True) as client:
        while not stop.is_set() and (cycles is None or done < cycles):
            try:
                report = run_cycle(con, settings, client, on_alert=on_alert)
            except httpx.HTTPError as exc:
                log.warning("GDELT feed unreachable (%s); trying again in %gs", exc, settings.watch_interval_seconds)
                report = CycleReport()
            if on_cycle is not None:
                on_cycle(report)
            done += 1
            if cycles is None or done < cycles:
                stop.wait(settings.watch_interval_seconds)
