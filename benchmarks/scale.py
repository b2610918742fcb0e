"""Scale benchmark: the whole `flashpoint ingest` on DuckDB and on Spark in local mode, by size.

For each size (millions of events, ``--sizes``, default 1 and 10), generates GDELT 2.0 exports of
one million events a file (the real 15-minute export resampled, as ``ingest.py`` does, with fresh
ids and each event's day drawn over ten years, so that pairs have years of weeks), then measures,
each run in its own process on the same files:

(a) the DuckDB engine: the whole ingest command — parse, validate and store the files
    (``ingest``), then deduplicate, count every pair's weeks and build the timelines (``settle``);
(b) the Spark engine (``local[*]``): the whole ingest command — the files parsed in Spark tasks,
    each event kept once, the lake clustered and counted, the batch committed, the store pointed
    at the lake with its timelines (steps from the command's own log);
(c) after each, every pair's weekly indicators read from the store (``indicators`` of all pairs);
(d) the reference: DuckDB's own ``read_csv`` of the files into a table.

Reports seconds, seconds per million events, events per second per core, the peak memory of the
process with its children (the JVM and Spark's Python workers; sampled every 0.2 s), and whether
the cost grows linearly (per-million cost at the largest size over the smallest). Appends to
benchmarks/RESULTS.md.

Usage: python benchmarks/scale.py [--sizes 1,10] [--workdir benchmarks/work/scale] [--no-record]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import os
import shutil
import threading
import time
from pathlib import Path

import psutil
from ingest import generate

from results import commit as current_commit
from results import machine, record

REPO = Path(__file__).resolve().parents[1]
ROWS_PER_FILE = 1_000_000
#: Days over which each event's date is drawn (2015–2024).
DAYS = 3650


class _PeakMemory:
    """The highest resident memory of this process and its children, sampled in a thread."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.2):
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)

    def __enter__(self) -> _PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class _Steps(logging.Handler):
    """The time of each step the Spark ingest logs (its INFO messages)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.marks: list[tuple[str, float]] = []

    #: The step that ends when the ingest logs a message starting so.
    ENDED = {
        "parsed on Spark": "start Spark, parse the files in tasks",
        "clustering": "keep each event once, write by month",
        "committing": "cluster the lake, count its weeks",
    }

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        for words, step in self.ENDED.items():
            if words in message:
                self.marks.append((step, time.perf_counter()))


def run_engine(files: list[str], db: str, engine: str, queue: mp.Queue) -> None:
    import flashpoint.cli  # noqa: F401 - what the command has loaded when it starts
    from flashpoint.config import Settings
    from flashpoint.indicators.compute import compute_indicators
    from flashpoint.indicators.query import IndicatorQuery
    from flashpoint.refresh import ingest_files, settle
    from flashpoint.sources import gdelt
    from flashpoint.store.connection import open_store
    from flashpoint.store.ingest import ingest_paths

    settings = Settings(db=Path(db), engine=engine, spark_master="local[*]")
    steps = _Steps()
    logging.getLogger("flashpoint.lake").addHandler(steps)
    logging.getLogger("flashpoint.lake").setLevel(logging.INFO)
    with _PeakMemory() as memory:
        start = time.perf_counter()
        with open_store(settings) as con:
            if engine == "duckdb":
                results = ingest_paths(con, files, reader=gdelt)
                loaded = time.perf_counter()
                settle(con, settings, ingest_ids=[r.ingest_id for r in results])
                marks = {"ingest": loaded - start, "settle": time.perf_counter() - loaded}
            else:
                results = ingest_files(con, settings, files, reader=gdelt)
                marks, last = {}, start
                for message, at in steps.marks:
                    marks[message] = at - last
                    last = at
                marks["commit, the store reads the lake, timelines"] = time.perf_counter() - last
            whole = time.perf_counter() - start
            started = time.perf_counter()
            pairs = compute_indicators(con, IndicatorQuery(freq="week"))["pair"].nunique()
            indicators = time.perf_counter() - started
    stored = sum(r.rows_stored for r in results)
    queue.put(
        {
            "seconds": whole,
            "steps": marks,
            "indicators": indicators,
            "pairs": pairs,
            "rows": stored,
            "peak_mb": memory.peak / 2**20,
        }
    )


def run_reference(files: list[str], db: str, queue: mp.Queue) -> None:
    import duckdb

    with _PeakMemory() as memory:
        start = time.perf_counter()
        con = duckdb.connect(db)
        con.execute("CREATE TABLE raw AS SELECT * FROM read_csv(?, delim='\t', header=false, quote='')", [files])
        rows = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
        con.close()
        seconds = time.perf_counter() - start
    queue.put({"seconds": seconds, "steps": {}, "indicators": 0.0, "pairs": 0, "rows": rows, "peak_mb": memory.peak / 2**20})


def measure(target, files: list[Path], db: Path, *extra: str) -> dict:  # noqa: ANN001
    for stale in (db, db.with_name(db.name + ".wal"), db.with_name(db.stem + ".lake")):
        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=([str(f) for f in files], str(db), *extra, queue))
    proc.start()
    found = queue.get()
    proc.join()
    return found


def files_of(workdir: Path, millions: int) -> list[Path]:
    """``millions`` files of a million events each, generated once and kept in ``workdir``."""
    found = []
    for k in range(millions):
        path = workdir / f"scale_{k:03d}.export.CSV"
        if not path.exists():
            generate(path, ROWS_PER_FILE, first_id=900_000_000 + k * ROWS_PER_FILE, days=DAYS)
        found.append(path)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10", help="millions of events, comma-separated")
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "work" / "scale")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    cores = os.cpu_count() or 1
    rows = []
    per_million: dict[str, list[float]] = {}
    for millions in sizes:
        files = files_of(args.workdir, millions)
        gigabytes = sum(f.stat().st_size for f in files) / 1e9
        for name, target, extra in (
            ("DuckDB engine", run_engine, ("duckdb",)),
            ("Spark engine, local", run_engine, ("spark",)),
            ("DuckDB read_csv (reference)", run_reference, ()),
        ):
            found = measure(target, files, args.workdir / "scale.duckdb", *extra)
            cost = found["seconds"] / millions
            per_million.setdefault(name, []).append(cost)
            steps = "; ".join(f"{step}: {seconds:.1f} s" for step, seconds in found["steps"].items())
            print(f"{millions}M {name}: {found['seconds']:.1f} s ({steps})", flush=True)
            rows.append(
                f"| {millions}M ({gigabytes:.1f} GB) | {name} | {found['seconds']:.1f} | {cost:.1f} | "
                f"{found['rows'] / found['seconds'] / cores:,.0f} | {found['indicators']:.2f} ({found['pairs']:,} pairs) | "
                f"{found['peak_mb']:,.0f} | {steps} |"
            )
    lines = [
        "",
        "# Scale (`python benchmarks/scale.py`)",
        "",
        f"## {time.strftime('%Y-%m-%d')} — commit {current_commit()}, sizes {args.sizes} million events",
        "",
        f"Machine: {machine()}. GDELT 2.0 exports of a million events each, resampled from the real 15-minute "
        f"export, days drawn over {DAYS // 365} years. Whole ingest command per engine, each in its own process.",
        "",
        "| events | run | seconds | s per million | events/s per core | all pairs' weekly indicators, s "
        "| peak RSS with children (MB) | steps |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Growth (s per million at the largest size over the smallest; 1 = linear): "
        + ", ".join(f"{name} {costs[-1] / costs[0]:.2f}" for name, costs in per_million.items() if len(costs) > 1),
        "",
    ]
    record(lines, append=not args.no_record)


if __name__ == "__main__":
    main()
