"""Indicators benchmark: every indicator for every pair, weekly, against one plain GROUP BY.

Builds a synthetic store of N events (default 10M and 40M): each event takes the CAMEO code,
root, quad class, Goldstein value and actor types of a row drawn from the bundled real
Georgia GDELT slice, a country pair drawn from ~40,000 directed pairs with a skewed
(power-law) distribution like GDELT's, and a day in 2015-2019; each row is its own incident
(``cluster_size`` 1, as for 59% of the Georgia rows after deduplication). Then, in one
process on the
same store, measures:

(a) all indicators for all pairs, weekly, with baselines and z-scores
    (``CREATE TABLE AS`` the SQL of :func:`flashpoint.indicators.compute.indicators_sql`);
(b) the reference: one plain ``GROUP BY (pair, week)`` count over the same table.

Reports seconds, the ratio (a)/(b) (target <= 2), the 40M time (target <= 10 s on this
2-core machine) and peak memory, and appends them to ``benchmarks/RESULTS.md``.

Usage: python benchmarks/indicators.py [--events 10000000 40000000] [--workdir benchmarks/work] [--no-record]
"""

from __future__ import annotations

import argparse
import resource
import time
from importlib.resources import as_file, files
from pathlib import Path

from results import commit as current_commit
from results import machine, record

from flashpoint.config import Settings
from flashpoint.indicators.compute import IndicatorQuery, indicators_sql
from flashpoint.indicators.registry import INDICATORS
from flashpoint.store.connection import open_store

REPO = Path(__file__).resolve().parents[1]
PAIRS = 40_000


def build(con, events: int, *, last_day: str = "2019-12-31", first: int = 0,  # noqa: ANN001 - a DuckDB connection
          ingest_id: int = 0) -> None:
    """Add ``events`` synthetic rows (numbered from ``first``, as ingest ``ingest_id``) drawn from
    the real demo slice's rows, dated over the five years up to ``last_day``. Their ids are
    GDELT 2.0's, below those of the real 2017 exports, in the order they are added (as GDELT
    numbers its events)."""
    with as_file(files("flashpoint").joinpath("data/demo/gdelt1_georgia_2011_2013.parquet")) as demo:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE proto AS SELECT row_number() OVER () - 1 AS k, c.cameo_code, c.cameo_root, "
            "c.quad_class, c.goldstein, nullif(p.Actor1Type1Code, '') AS t1, nullif(p.Actor2Type1Code, '') AS t2 "
            "FROM read_parquet(?) p JOIN cameo_codes c ON c.cameo_code = p.EventCode", [str(demo)])
    protos = con.execute("SELECT count(*) FROM proto").fetchall()[0][0]
    con.execute(f"""
CREATE OR REPLACE TEMP TABLE pairs AS
SELECT row_number() OVER (ORDER BY hash(a.code || b.code)) - 1 AS k, a.code AS a, b.code AS b
FROM (SELECT DISTINCT iso3 AS code FROM country_codes WHERE system = 'cameo' AND iso3 IS NOT NULL) a,
     (SELECT DISTINCT iso3 AS code FROM country_codes WHERE system = 'cameo' AND iso3 IS NOT NULL) b
WHERE a.code <> b.code QUALIFY k < {PAIRS}""")
    con.execute(f"""
INSERT INTO events BY NAME
SELECT 'gdelt2:' || (400000000 + i) AS event_id, 'gdelt2' AS source,
       DATE '{last_day}' - CAST(hash(i, 1) % 1826 AS INTEGER) AS event_date,
       p.a AS actor1_iso3, x.t1 AS actor1_type, p.b AS actor2_iso3, x.t2 AS actor2_type,
       least(p.a, p.b) || '-' || greatest(p.a, p.b) AS pair,
       x.cameo_code, x.cameo_root, x.quad_class, x.goldstein, 'machine' AS coding,
       'gdelt2:' || (400000000 + i) AS cluster_id,
       1 AS cluster_size,
       {int(ingest_id)} AS ingest_id
FROM range({int(first)}, {int(first) + events}) r(i)
JOIN pairs p ON p.k = CAST(floor({PAIRS} * pow((hash(i, 2) % 1000003) / 1000003.0, 3)) AS BIGINT)
JOIN proto x ON x.k = hash(i, 3) % {protos}""")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(workdir: Path, events: int) -> dict[str, float]:
    db = workdir / f"indicators_{events}.duckdb"
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    with open_store(Settings(db=db)) as con:
        start = time.perf_counter()
        build(con, events)
        built = time.perf_counter() - start
        stored = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
        start = time.perf_counter()
        con.execute("CREATE TEMP TABLE reference AS SELECT least(actor1_iso3, actor2_iso3) AS a, "
                    "greatest(actor1_iso3, actor2_iso3) AS b, date_trunc('week', event_date) AS week, count(*) AS n "
                    "FROM events GROUP BY ALL")
        reference = time.perf_counter() - start
        sql = indicators_sql(con, IndicatorQuery(freq="week"))
        start = time.perf_counter()
        con.execute(f"CREATE TEMP TABLE indicators AS {sql}")
        computed = time.perf_counter() - start
        rows, pairs = con.execute("SELECT count(*), count(DISTINCT pair) FROM indicators").fetchall()[0]
    db.unlink(missing_ok=True)
    return {"events": stored, "build_s": built, "reference_s": reference, "indicators_s": computed,
            "ratio": computed / reference, "rows": rows, "pairs": pairs, "peak_mb": _peak_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[10_000_000, 40_000_000])
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "work")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = [measure(args.workdir, n) for n in args.events]
    commit = current_commit()
    lines = [f"\n# Indicators (`python benchmarks/indicators.py`)\n\n## {time.strftime('%Y-%m-%d')} — commit {commit}",
             f"\nMachine: {machine()}. {len(INDICATORS)} indicators, all pairs, weekly, baselines and z-scores (pair-weeks with incidents), "
             "against one plain GROUP BY (pair, week) in the same process; peak RSS is the process's "
             "maximum so far (cumulative across sizes).\n",
             "| events | pairs | output rows | reference GROUP BY (s) | indicators (s) | ratio | peak RSS (MB) |",
             "|---|---|---|---|---|---|---|",
             *[f"| {r['events']:,} | {r['pairs']:,} | {r['rows']:,} | {r['reference_s']:.2f} | {r['indicators_s']:.2f} "
               f"| **{r['ratio']:.2f}** | {r['peak_mb']:,.0f} |" for r in results],
             "\nTargets: ratio ≤ 2; ≤ 10 s for 40M events."]
    record(lines, append=not args.no_record)


if __name__ == "__main__":
    main()
