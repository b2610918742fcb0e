"""Ingest benchmark: Flashpoint's GDELT ingest against DuckDB's own CSV load and pandas.

Generates a GDELT 2.0 export (61 tab-separated columns) of N rows by resampling the rows of
the real 15-minute export shipped in ``tests/data`` (and, when present, the larger real batch
in the shared data), with fresh GLOBALEVENTIDs, so every column follows the real values'
distribution. Then measures, each in its own process on the same file:

(a) ``flashpoint`` ingest into a fresh store (checksum, parse, validate, map, store), timed from
    opening the store with the command's modules loaded;
(b) DuckDB ``CREATE TABLE AS SELECT * FROM read_csv(file)`` into a fresh database (the reference);
(c) ``pandas.read_csv`` of the file, every column read as text (``dtype=str``), as the
    benchmark has compared since the first run;
(c') ``pandas.read_csv`` of the file with pandas' defaults (column types inferred): with
    pandas 3's Arrow-backed strings this is about ten times faster than (c), and the
    honest reading of "pandas read_csv" too, so both are reported;
(c'') the same with the three CAMEO event code columns read as text: the defaults read
    EventCode ``040`` as the number 40, so this is the cheapest call that reads the file
    correctly (docs/adr/019);
(d) (a) again with DuckDB's memory limit at 256 MB, far below the file's size (streaming);
(e) what the ``flashpoint ingest`` command does after (a), in the same process: deduplicating
    the new rows, bringing the stored weekly counts and pair timelines up to date and laying
    the events out by pair (``settle``), reported apart; the targets apply to (a).

Prints and appends to ``benchmarks/RESULTS.md``: MB/s, rows/s, peak memory (max RSS) and
the ratios (a)/(b), (a)/(c) of throughput (>1 means Flashpoint is faster).

Each run is repeated (``--repeat``, default 2) and the fastest kept, which damps the noise of
a shared machine.

Usage: python benchmarks/ingest.py [--rows 2000000] [--repeat 2] [--workdir benchmarks/work] [--no-record]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import time
from pathlib import Path

import duckdb

from results import commit as current_commit
from results import machine, record

REPO = Path(__file__).resolve().parents[1]
SAMPLES = [
    REPO.parent / "shared" / "data" / "gdelt_raw_samples" / "gdelt2_export_20170701234500_gdeltPyR.csv",
    REPO / "tests" / "data" / "gdelt2_export_20170701234500_head.tsv",
]


def generate(path: Path, rows: int, *, first_id: int = 800_000_000, days: int = 0) -> str:
    """Write ``rows`` resampled real GDELT 2.0 rows to ``path``, their GLOBALEVENTIDs from
    ``first_id``; with ``days``, each row's SQLDATE drawn over that many days from 2015-01-01
    (the 15-minute sample's rows fall on a few days). Returns the sample used."""
    from flashpoint.sources.gdelt import GDELT2_COLUMNS

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    sample = next(p for p in SAMPLES if p.exists())
    if sample.suffix == ".csv":
        con.execute("CREATE TABLE s AS SELECT * EXCLUDE (CAMEOCodeDescription) FROM read_csv(?, all_varchar=true)", [str(sample)])
    else:
        con.execute(
            "CREATE TABLE s AS SELECT * FROM read_csv(?, delim='\t', header=false, all_varchar=true, names=?)",
            [str(sample), list(GDELT2_COLUMNS)],
        )
    n = con.execute("SELECT count(*) FROM s").fetchone()[0]
    con.execute("CREATE TABLE s2 AS SELECT row_number() OVER () - 1 AS k, * FROM s")
    date = (
        f"strftime(DATE '2015-01-01' + CAST(hash(i + {int(first_id)}, 'day') % {days} AS INTEGER), '%Y%m%d') AS SQLDATE"
        if days
        else '"SQLDATE"'
    )
    cols = ", ".join([f'"{GDELT2_COLUMNS[1]}"' if not days else date, *(f'"{c}"' for c in GDELT2_COLUMNS[2:])])
    con.execute(
        f"COPY (SELECT CAST({int(first_id)} + i AS VARCHAR) AS GLOBALEVENTID, {cols} FROM range(?) r(i) "
        f"JOIN s2 ON s2.k = hash(i + {int(first_id) - 800_000_000}) % ?) TO ? (DELIMITER '\t', HEADER false, QUOTE '')",
        [rows, n, str(path)],
    )
    return str(sample)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_flashpoint(path: str, db: str, queue: mp.Queue, memory_limit: str = "4GB", settled: bool = False) -> None:
    # The modules `flashpoint ingest` has loaded when it starts (pandas among them) are loaded
    # before the clock starts, as pandas is for (c).
    import flashpoint.cli  # noqa: F401
    from flashpoint.config import Settings
    from flashpoint.refresh import settle
    from flashpoint.sources import gdelt
    from flashpoint.store.connection import open_store
    from flashpoint.store.ingest import ingest_paths

    settings = Settings(db=Path(db), memory_limit=memory_limit)
    start = time.perf_counter()
    with open_store(settings) as con:
        [result] = ingest_paths(con, [path], reader=gdelt)
        if settled:
            settle(con, settings, ingest_ids=[result.ingest_id])
    queue.put((time.perf_counter() - start, _peak_mb(), result.rows_stored))


def run_duckdb(path: str, db: str, queue: mp.Queue) -> None:
    start = time.perf_counter()
    con = duckdb.connect(db)
    con.execute("SET enable_progress_bar = false")
    con.execute("CREATE TABLE raw AS SELECT * FROM read_csv(?, delim='\t', header=false, quote='')", [path])
    rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    con.close()
    queue.put((time.perf_counter() - start, _peak_mb(), rows))


#: The options of each pandas read, by name: (c), (c') and (c'').
PANDAS_READS: dict[str, dict] = {
    "every column as text": {"dtype": str, "keep_default_na": False},
    "default types": {},
    "default types, event codes as text": {"dtype": {26: str, 27: str, 28: str}},  # EventCode, base, root
}


def run_pandas(path: str, db: str, queue: mp.Queue, read: str) -> None:
    import pandas as pd

    start = time.perf_counter()
    frame = pd.read_csv(path, sep="\t", header=None, quoting=3, **PANDAS_READS[read])
    queue.put((time.perf_counter() - start, _peak_mb(), len(frame)))


def pandas_version() -> str:
    import pandas as pd

    return pd.__version__


def measure(target, path: Path, db: Path, *extra: str) -> dict[str, float]:  # noqa: ANN001
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(str(path), str(db), queue, *extra))
    proc.start()
    seconds, peak, rows = queue.get()
    proc.join()
    size_mb = path.stat().st_size / 1e6
    return {"seconds": seconds, "rows": rows, "mb_per_s": size_mb / seconds, "rows_per_s": rows / seconds, "peak_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "work")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the fastest is reported")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / "gdelt2_synthetic.export.CSV"
    sample = generate(path, args.rows)
    runs = [
        ("flashpoint", run_flashpoint),
        ("duckdb", run_duckdb),
        *[(f"pandas, {read}", run_pandas, read) for read in PANDAS_READS],
        ("flashpoint, memory_limit 256MB", run_flashpoint, "256MB"),
        ("flashpoint ingest command (load + settle)", run_flashpoint, "4GB", True),
    ]
    results = {
        name: min(
            (measure(fn, path, args.workdir / f"run{i}.duckdb", *extra) for _ in range(args.repeat)), key=lambda r: r["seconds"]
        )
        for i, (name, fn, *extra) in enumerate(runs)
    }
    size_mb = path.stat().st_size / 1e6
    ratio_duckdb = results["flashpoint"]["mb_per_s"] / results["duckdb"]["mb_per_s"]
    speed = results["flashpoint"]["mb_per_s"]
    ratios_pandas = "; ".join(f"{read}: **{speed / results[f'pandas, {read}']['mb_per_s']:.2f}**" for read in PANDAS_READS)
    commit = current_commit()
    lines = [
        f"\n## {time.strftime('%Y-%m-%d')} — commit {commit}, {args.rows:,} rows, {size_mb:,.0f} MB",
        f"\nMachine: {machine()}. Rows resampled from `{Path(sample).name}`. Fastest of {args.repeat} runs each.\n",
        "| run | seconds | MB/s | rows/s | peak RSS (MB) |",
        "|---|---|---|---|---|",
        *[
            f"| {name} | {r['seconds']:.1f} | {r['mb_per_s']:.1f} | {r['rows_per_s']:,.0f} | {r['peak_mb']:,.0f} |"
            for name, r in results.items()
        ],
        f"\nRatios of throughput: flashpoint / duckdb = **{ratio_duckdb:.2f}** (target ≥ 1.0), "
        f"flashpoint / pandas {pandas_version()} (target ≥ 5), {ratios_pandas}. The last row is the whole "
        "`flashpoint ingest` command: the load, then deduplication, the stored weekly counts and pair "
        "timelines, and the layout by pair of this first ingest.",
    ]
    print(json.dumps(results, indent=2))
    record(lines, append=not args.no_record)


if __name__ == "__main__":
    main()
