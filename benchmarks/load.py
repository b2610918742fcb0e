"""Load and soak of the real server on the demo store: 200 clients on a mix of read endpoints,
then a soak with the server's memory sampled. Loopback only, bounded.

Builds the demo store (``flashpoint demo --out``: the bundled real GDELT slice), starts
``flashpoint serve`` on a free loopback port and:

1. **first answers**: each path of the mix asked for once, one at a time, on the fresh server:
   what the first analyst to ask waits (the answer computed, then kept until the store
   changes). The mix: the pair timeline, indicators, metrics, forecast, levers ranked,
   explanation, top pairs, stats, overview, alerts, the HTML brief, and, as the reference,
   ``/api/levers`` (reads nothing), each with several pairs and periods.
2. **load**: ``--clients`` connections of wrk (C, on the same machine as the server), shared
   among the endpoints of the mix, one wrk run per endpoint, all at once, send ``--requests``
   requests in all, each connection its endpoint's paths in turn. Reports per endpoint the
   requests, errors, p50, p95 and p99; target: 0 errors, p95 ≤ 1 s.
3. **soak**: for ``--soak-seconds``, the clients go on over the mix and over daily timelines
   from each of 672 days for 6 pairs (4,032 answers never asked for before, which fill the kept
   answers to their bound), while the server process's resident memory (``VmRSS``) is sampled
   every 5 s. Reports RSS after the load,
   its highest and its last figure; target: flat once the caches are full (the last third's
   highest within 10% of the first third's).

Appends the figures to ``benchmarks/RESULTS.md``.

Usage: python benchmarks/load.py [--clients 200] [--requests 100000] [--soak-seconds 600] [--no-record]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

import wrk
from results import commit as current_commit
from results import machine, record

REPO = Path(__file__).resolve().parents[1]
#: Pairs of the demo store, busiest first, and periods they have events in.
PAIRS = ("GEO-RUS", "GEO-USA", "RUS-USA", "ARM-AZE", "GEO-TUR", "RUS-UKR")
MONTHS = ("2012-08", "2012-10", "2013-03")


def mix() -> dict[str, list[str]]:
    """The endpoints of the load, each with the paths asked for."""
    return {
        "pair timeline": [f"/api/pairs/{p}/ladder?since={y}-01-01" for p in PAIRS for y in (2011, 2012)],
        "indicators": [f"/api/pairs/{p}/indicators?freq={f}" for p in PAIRS for f in ("month", "week")],
        "metrics": [f"/api/pairs/{p}/metrics" for p in PAIRS],
        "forecast": [f"/api/pairs/{p}/forecast" for p in PAIRS[:3]],
        "levers ranked (respond)": [f"/api/pairs/{p}/respond" for p in PAIRS[:3]],
        "explanation": [f"/api/pairs/{p}/explain?period={m}&indicator=rhetoric" for p in PAIRS[:3] for m in MONTHS],
        "top pairs": [f"/api/indicators/top?period={m}&by={b}" for m in MONTHS for b in ("rhetoric", "buildup")],
        "stats": ["/api/stats"],
        "overview": ["/api/overview", "/api/overview?weeks=8"],
        "alerts": ["/api/alerts?limit=50", "/api/alerts?dyad=GEO-RUS"],
        "brief (HTML)": [f"/api/pairs/{p}/brief" for p in PAIRS[:2]],
        "reference: /api/levers (no store read)": ["/api/levers"],
    }


def _first_answers(url: str) -> dict[str, list[float]]:
    """Seconds to each path's first answer, asked one at a time on the fresh server."""
    first: dict[str, list[float]] = {}
    with httpx.Client(base_url=url, timeout=300.0) as client:
        for name, paths in mix().items():
            for path in paths:
                started = time.perf_counter()
                client.get(path).raise_for_status()
                first.setdefault(name, []).append(time.perf_counter() - started)
    return first


def distinct() -> list[str]:
    """Timelines asked for from every day of the demo's span, day by day: each a new answer to
    compute and keep, so that the soak fills the kept answers to their bound."""
    days = [f"2011-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)] + [
        f"2012-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)
    ]
    return [f"/api/pairs/{p}/ladder?freq=day&since={d}" for d in days for p in PAIRS]


def _runs(
    url: str, clients: int, requests: int, workdir: Path, tag: str, seconds: float, paths: dict[str, list[str]] | None = None
) -> dict[str, wrk.Run]:
    """One wrk run per endpoint of ``paths`` (the mix), all at once, sharing ``clients``
    connections and ``requests`` requests."""
    paths = paths or mix()
    return {
        name: wrk.start(
            url,
            found,
            clients=max(clients // len(paths), 1),
            threads=1,
            requests=requests // len(paths),
            workdir=workdir,
            tag=f"{tag}{i}",
            seconds=seconds,
        )
        for i, (name, found) in enumerate(paths.items())
    }


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _soak(url: str, clients: int, seconds: float, pid: int, workdir: Path) -> tuple[list[tuple[float, float]], int]:
    """The mix for ``seconds`` with the server's RSS sampled every 5 s: (seconds since the
    start, MB) and the failed requests."""
    runs = _runs(url, clients, 10**12, workdir, "soak", seconds, {**mix(), "distinct timelines": distinct()})
    started = time.monotonic()
    samples = []
    while any(run.process.poll() is None for run in runs.values()):
        samples.append((time.monotonic() - started, _rss_mb(pid)))
        time.sleep(5)
    samples.append((time.monotonic() - started, _rss_mb(pid)))
    return samples, sum(_failed(f) for f in wrk.finish(list(runs.values())))


def _failed(found: dict[str, float]) -> int:
    return int(found["bad_status"] + found["socket_errors"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=100_000, help="in all, for the load")
    parser.add_argument("--soak-seconds", type=float, default=600.0)
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "work")
    parser.add_argument("--db", type=Path, help="a store to serve (default: a new demo store)")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    wrk.require()
    args.workdir.mkdir(parents=True, exist_ok=True)
    db = args.db
    if db is None:
        db = args.workdir / "load_demo.duckdb"
        for stale in (db, db.with_name(db.name + ".wal")):
            stale.unlink(missing_ok=True)
        subprocess.run([sys.executable, "-m", "flashpoint", "demo", "--out", str(db)], check=True, stdout=subprocess.DEVNULL)
    server, url = wrk.serve(db, args.workdir / "load_server.log")
    try:
        first = _first_answers(url)
        runs = _runs(url, args.clients, args.requests, args.workdir, "load", 600.0)
        loaded = dict(zip(runs, wrk.finish(list(runs.values()))))
        after_load = _rss_mb(server.pid)
        samples, soak_failed = (
            _soak(url, args.clients, args.soak_seconds, server.pid, args.workdir) if args.soak_seconds else ([], 0)
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
    sent = sum(int(f["requests"]) for f in loaded.values())
    took = max(f["seconds"] for f in loaded.values())
    lines = [
        "# Load and soak (`python benchmarks/load.py`)",
        "",
        f"## {time.strftime('%Y-%m-%d')} — commit {current_commit()}, demo store, {args.clients} clients, "
        f"{sent:,} requests in {took:.1f} s ({sent / took:,.0f}/s)",
        "",
        f"Machine: {machine()}. Server and wrk "
        f"on the same machine, loopback; {len(loaded)} wrk runs at once, one per endpoint, "
        f"{args.clients // len(loaded)} connections each.",
        "",
        "| endpoint | first answer ms, median (longest) | requests | errors | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| {n} | {statistics.median(first[n]) * 1000:.0f} ({max(first[n]) * 1000:.0f}) | "
            f"{int(f['requests']):,} | {_failed(f)} | {f['p50_ms']:.0f} | {f['p95_ms']:.0f} | {f['p99_ms']:.0f} |"
            for n, f in loaded.items()
        ],
        "",
    ]
    failed = sum(_failed(f) for f in loaded.values())
    worst = max(loaded, key=lambda n: loaded[n]["p95_ms"])
    lines.append(
        f"Target: 0 errors ({'met' if not failed else f'not met: {failed}'}); p95 ≤ 1 s per endpoint "
        f"({'met' if loaded[worst]['p95_ms'] <= 1000 else 'not met'}: the highest, {worst}, "
        f"{loaded[worst]['p95_ms']:.0f} ms)."
    )
    if samples:
        third = max(len(samples) // 3, 1)
        early, late = max(r for _, r in samples[:third]), max(r for _, r in samples[-third:])
        lines += [
            "",
            f"Soak: {args.clients} clients for {args.soak_seconds:.0f} s, {soak_failed} failed requests; "
            f"server RSS {after_load:.0f} MB after the load, highest {max(r for _, r in samples):.0f} MB, "
            f"last {samples[-1][1]:.0f} MB; highest of the first third {early:.0f} MB, of the last third "
            f"{late:.0f} MB: {'flat' if late <= early * 1.10 else 'growing'} (target: within 10%).",
        ]
    lines.append("")
    record(lines, append=not args.no_record)


if __name__ == "__main__":
    main()
