"""API benchmark: latency of the pair timeline and the alerts endpoints under 50 concurrent
clients on loopback, on a store of 10M events.

Builds the synthetic store of ``benchmarks/indicators.py`` (N events over ~40,000 pairs,
GDELT-like distributions), raises the alerts of the busiest pairs' last year, starts the real
server (``flashpoint serve``: uvicorn, one process) and sends a bounded number of requests
from 50 concurrent connections of wrk (a C load generator, Debian package ``wrk``, driven by
``benchmarks/requests.lua``) to ``/api/pairs/{pair}/ladder?since=…`` (the pair page's
timeline, for pairs drawn from the busiest 200; then the same requests again, all answered from the cache)
and ``/api/alerts?limit=50``. Reference, in the same run:
``/api/levers``, an endpoint that reads nothing from the store (the cost of the HTTP stack).
Reports p50/p95/p99 and throughput per endpoint; target p95 ≤ 50 ms. Appends to
``benchmarks/RESULTS.md``.

Usage: python benchmarks/api.py [--events 10000000] [--requests 10000] [--clients 50] [--no-record]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from pathlib import Path

from flashpoint.config import Settings
from flashpoint.escalation.alerts import raise_alerts
from flashpoint.escalation.timelines import refresh_timelines
from flashpoint.indicators.weekly import refresh_weeks
from flashpoint.store.connection import open_store
from flashpoint.store.layout import lay_out_events

import wrk
from indicators import build
from results import commit as current_commit
from results import machine, record

REPO = Path(__file__).resolve().parents[1]
THREADS = 2


def _load(url: str, paths: list[str], clients: int, workdir: Path) -> dict[str, float]:
    """Send ``paths`` (in turn) from ``clients`` connections of wrk, two threads; returns wrk's
    counts and latency percentiles (ms) and the seconds the requests took."""
    return wrk.finish([wrk.start(url, paths, clients=clients, threads=THREADS, requests=len(paths), workdir=workdir, tag="api")])[
        0
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    # 10,000 per endpoint: at a few thousand answers a second, 1,000 would last a third of a
    # second and their 95th percentile would measure the 50 connections' opening.
    parser.add_argument("--requests", type=int, default=10_000, help="per endpoint")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "work")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    wrk.require()
    db = args.workdir / f"api_{args.events}.duckdb"
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    settings = Settings(db=db)
    with open_store(settings) as con:
        build(con, args.events)
        lay_out_events(con)  # as the first ingest leaves the store
        started = time.perf_counter()
        refresh_weeks(con)  # as an ingest leaves the store: its weekly pair aggregates up to date,
        weeks_s = time.perf_counter() - started
        started = time.perf_counter()
        refresh_timelines(con, settings)  # and every pair's weekly timeline stored
        timelines_s = time.perf_counter() - started
        busiest = [
            r[0] for r in con.execute("SELECT pair, count(*) n FROM events GROUP BY pair ORDER BY n DESC LIMIT 200").fetchall()
        ]
        raise_alerts(con, settings, pairs=tuple(busiest), since=dt.date(2019, 1, 1))
        alerts = con.execute("SELECT count(*) FROM alerts").fetchall()[0][0]
    server, url = wrk.serve(db, args.workdir / "api_server.log")
    rng = random.Random(1)
    timelines = [f"/api/pairs/{rng.choice(busiest)}/ladder?since=2018-01-01" for _ in range(args.requests)]
    endpoints = {
        "pair timeline (/api/pairs/{pair}/ladder, last 2 years)": timelines,
        "pair timeline again (the same requests: every answer computed before)": timelines,
        "alerts (/api/alerts?limit=50)": ["/api/alerts?limit=50"] * args.requests,
        "reference: /api/levers (no store read)": ["/api/levers"] * args.requests,
    }
    rows = []
    for name, paths in endpoints.items():
        _load(url, paths[:20], 2, args.workdir)  # warm-up: compiled queries, connections
        found = _load(url, paths, args.clients, args.workdir)
        rows.append(
            (
                name,
                found["p50_ms"],
                found["p95_ms"],
                found["p99_ms"],
                found["requests"] / found["seconds"],
                found["bad_status"] + found["socket_errors"],
            )
        )
    server.terminate()
    server.wait(timeout=60)
    commit = current_commit()
    lines = [
        f"## {time.strftime('%Y-%m-%d')} — commit {commit}, {args.events:,} events, {alerts:,} alerts, "
        f"{args.clients} clients, {args.requests:,} requests per endpoint",
        "",
        f"Machine: {machine()}. The store's "
        f"weekly pair aggregates were built in {weeks_s:.1f} s after the synthetic events and every pair's "
        f"weekly timeline in {timelines_s:.1f} s (as an ingest does).",
        "",
        "| endpoint | p50 ms | p95 ms | p99 ms | requests/s | failed |",
        "|---|---|---|---|---|---|",
        *[f"| {n} | {a:.1f} | {b:.1f} | {c:.1f} | {d:.1f} | {e} |" for n, a, b, c, d, e in rows],
        "",
        "Target: p95 ≤ 50 ms for the timeline and the alerts; "
        + "; ".join(f"{n.split(' (')[0]} {'met' if b <= 50 else 'not met'}" for n, a, b, c, d, e in (rows[0], rows[2]))
        + " (the second timeline row shows the cached answers alone).",
        "",
    ]
    db.unlink(missing_ok=True)
    record(lines, append=not args.no_record)


if __name__ == "__main__":
    main()
