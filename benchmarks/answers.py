"""Answer benchmark: how long the analyst waits for a pair's brief, levers, forecast, consequences and
page on a store holding all the shared real event data (issue 29: ≤ 2 s each).

Builds, in a temporary folder, a store of every shared event file (ICEWS 2012–2015, the GDELT 1.0
Georgia slice, ACLED, UCDP GED Syria and Ethiopia) with SIPRI spending, ICB crises and UCDP
terminations, as the README's commands do; then times, for RUS-UKR, each whole command as the user
runs it (a subprocess: start-up included), the step it spends most in, and a pair page from a running
server (first request, then a second, answered again), against the reference of DuckDB counting the
store's events by pair and week (the least any pair-week answer must read).

Appends to ``benchmarks/RESULTS.md``.

Usage: python benchmarks/answers.py [--pair RUS-UKR] [--no-record]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb
import httpx

from results import REPO, machine, record
from results import commit as current_commit

TARGET_SECONDS = 2.0
SHARED = Path(os.environ.get("FLASHPOINT_SHARED_DATA", REPO.parent / "shared" / "data"))
#: The README's ingest commands for the shared data: source → files.
INGESTS = {
    "icews": ["icews_events_2012_2015/icews05-15_*.tsv"],
    "gdelt": ["gdelt1_georgia_2011_2013/*.csv"],
    "acled": ["acled_acledR/acled_old_dummy.csv"],
    "ucdp": ["ucdp_ged_syria/ucdp_ged191_syria.csv", "ucdp_misc/ucdp_ged_ethiopia_extract.csv"],
    "milex": ["sipri_milex/milex_Constant_2021_US.csv", "sipri_milex/milex_Current_US.csv"],
    "crises": ["icb_v14/icb1v14_system_level.csv"],
    "terminations": ["ucdp_misc/ucdp_conflict_termination_v3_2021.csv"],
}


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command``."""
    before, start = os.times(), time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return time.perf_counter() - start, cpu


def page_seconds(flashpoint: str, env: dict[str, str], pair: str) -> tuple[float, float]:
    """A pair page from a running server: the first request's seconds, then a second's."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    server = subprocess.Popen([flashpoint, "serve", "--port", str(port)], env=env, **quiet)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/stats", timeout=5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        found = []
        for _ in range(2):
            start = time.perf_counter()
            httpx.get(f"http://127.0.0.1:{port}/pair/{pair}", timeout=300).raise_for_status()
            found.append(time.perf_counter() - start)
        return found[0], found[1]
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair", default="RUS-UKR")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    flashpoint = shutil.which("flashpoint") or "flashpoint"
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "shared.duckdb"
        env = {**os.environ, "FLASHPOINT_DB": str(db), "FLASHPOINT_REFERENCE_DATA": str(SHARED)}
        for source, patterns in INGESTS.items():
            files = [str(path) for pattern in patterns for path in sorted(SHARED.glob(pattern))]
            subprocess.run([flashpoint, "ingest", source, *files], env=env, check=True, stdout=subprocess.DEVNULL)
        with duckdb.connect(str(db), read_only=True) as con:
            events = con.execute("SELECT count(*) FROM events").fetchone()[0]
            start = time.perf_counter()
            con.execute("SELECT pair, date_trunc('week', event_date) AS week, count(*) FROM events GROUP BY ALL").fetchall()
            reference = time.perf_counter() - start
        runs = {
            "brief": [flashpoint, "brief", "--dyad", args.pair, "--format", "md"],
            "respond": [flashpoint, "respond", "--dyad", args.pair],
            "forecast": [flashpoint, "forecast", "--dyad", args.pair],
            "consequences": [flashpoint, "consequences", "--dyad", args.pair],
            "ladder (a store query, for scale)": [flashpoint, "ladder", "--dyad", args.pair],
        }
        figures = {name: timed(command, env) for name, command in runs.items()}
        first, again = page_seconds(flashpoint, env, args.pair)
    worst = max(wall for wall, _ in list(figures.values())[:4])
    lines = [
        f"# Answers (`python benchmarks/answers.py`)\n\n## {time.strftime('%Y-%m-%d')} — commit {current_commit()}, "
        f"{events:,} events, {args.pair}",
        "",
        f"Machine: {machine()}. Each command a subprocess, as the user runs it (start-up included).",
        "",
        "| run | wall seconds | CPU seconds | × DuckDB's pair-week count |",
        "|---|---|---|---|",
        *[f"| flashpoint {name} | {wall:.2f} | {cpu:.2f} | {wall / reference:,.0f} |" for name, (wall, cpu) in figures.items()],
        f"| pair page, first request / again | {first:.2f} / {again:.2f} | | {first / reference:,.0f} |",
        f"| reference: DuckDB counting events by pair and week | {reference:.3f} | | 1 |",
        "",
        f"Slowest of brief, respond, forecast, consequences **{worst:.1f} s** against the target of ≤ {TARGET_SECONDS:g} s "
        f"({'met' if worst <= TARGET_SECONDS else 'not met'}); the pair page {first:.1f} s first, {again:.1f} s again.",
        "",
    ]
    record(lines, append=not args.no_record)


if __name__ == "__main__":
    main()
