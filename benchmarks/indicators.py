"""Indicators benchmark: every indicator for every pair, weekly, against one plain GROUP BY.

Builds a synthetic store of N events (default 10M and 40M): each event takes the CAMEO code,
root, quad class, Goldstein value and actor types of a row drawn from the bundled real
Georgia GDELT slice, a country pair drawn from ~40,000 directed pairs with a skewed
(power-law) distribution like GDELT's, and a day in 2015-2019; each row is its own incident
(``cluster_size`` 1, as for 59% of the Georgia rows after deduplication). Then, in one
process on the same store, laid out by pair as the first ingest leaves it, measures:

(a) the reference: one plain ``GROUP BY (pair, week)`` count over the events, fetched as an
    Arrow table, with the pair made from the two actor countries (least and greatest), as the
    benchmark has done since before the store kept a ``pair`` column;
(a') the same GROUP BY over the stored ``pair`` column, the plainest reading of the reference
    now that the store has one (about half the time of (a)); ratios against both are reported;
(b) all indicators for all pairs, weekly, with baselines and z-scores, the faster of two
    runs as for the reference (the first run's time is reported too)
    (:func:`flashpoint.indicators.compute.indicator_table`, an Arrow table), counted from the
    events (the query compiled and the baselines' compiled code loaded beforehand, once per
    process);
(c) building the stored weekly aggregates from scratch (``refresh_weeks``; an ingest
    updates only its pairs' weeks, docs/adr/012);
(d) (b) again, now read from the stored weeks, as a settled store answers it; checked
    equal to (b) on the rows of one pair in 50 (each result is released once timed).

Reports seconds, the ratios (d)/(a), (b)/(a), (d)/(a') and (b)/(a') (target <= 2), the 40M time (target <= 10 s
on this 2-core machine) and peak memory, and appends them to ``benchmarks/RESULTS.md``.

Usage: python benchmarks/indicators.py [--events 10000000 40000000] [--workdir benchmarks/work] [--no-record]
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from importlib.resources import as_file, files
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from flashpoint.config import Settings
from flashpoint.indicators.compute import WIDE_COLUMNS, indicator_table
from flashpoint.indicators.counting import counted_sql
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.indicators.registry import INDICATORS
from flashpoint.indicators.weekly import refresh_weeks
from flashpoint.store.connection import open_store
from flashpoint.store.layout import lay_out_events

from results import commit as current_commit
from results import machine, record

REPO = Path(__file__).resolve().parents[1]
PAIRS = 40_000


def build(
    con,
    events: int,
    *,
    last_day: str = "2019-12-31",
    first: int = 0,  # noqa: ANN001 - a DuckDB connection
    ingest_id: int = 0,
) -> None:
    """Add ``events`` synthetic rows (numbered from ``first``, as ingest ``ingest_id``) drawn from
    the real demo slice's rows, dated over the five years up to ``last_day``. Their ids are
    GDELT 2.0's, below those of the real 2017 exports, in the order they are added (as GDELT
    numbers its events)."""
    with as_file(files("flashpoint").joinpath("data/demo/gdelt1_georgia_2011_2013.parquet")) as demo:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE proto AS SELECT row_number() OVER () - 1 AS k, c.cameo_code, c.cameo_root, "
            "c.quad_class, c.goldstein, nullif(p.Actor1Type1Code, '') AS t1, nullif(p.Actor2Type1Code, '') AS t2 "
            "FROM read_parquet(?) p JOIN cameo_codes c ON c.cameo_code = p.EventCode",
            [str(demo)],
        )
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


def _seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(workdir: Path, events: int) -> dict[str, float]:
    db = workdir / f"indicators_{events}.duckdb"
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    with open_store(Settings(db=db)) as con:
        built = _seconds(lambda: build(con, events))
        laid_out = _seconds(lambda: lay_out_events(con))  # as the first ingest leaves the store
        stored = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
        reference = min(
            _seconds(
                lambda: con.sql(
                    "SELECT least(actor1_iso3, actor2_iso3) AS a, greatest(actor1_iso3, actor2_iso3) AS b, "
                    "date_trunc('week', event_date) AS week, count(*) AS n FROM events GROUP BY ALL"
                ).to_arrow_table()
            )
            for _ in range(2)
        )
        stored_pair = min(
            _seconds(
                lambda: con.sql(
                    "SELECT pair, date_trunc('week', event_date) AS week, count(*) AS n FROM events GROUP BY ALL"
                ).to_arrow_table()
            )
            for _ in range(2)
        )
        # What a process does once, as a server has before its first all-pairs question: load the
        # compiled baselines and compile the all-pairs counting query (0.1-0.3 s).
        indicator_table(con, IndicatorQuery(freq="week", pairs=("GEO-RUS",)))
        counted_sql(con, IndicatorQuery(freq="week"))
        # Each result is released once timed (a server or a CLI call does not hold the previous
        # one), keeping the rows of one pair in 50 to check the two ways give the same values.
        sampled = pa.array([r[0] for r in con.execute("SELECT DISTINCT pair FROM events WHERE hash(pair) % 50 = 0").fetchall()])
        kept: dict[str, pa.Table] = {}
        sizes: dict[str, tuple[int, int]] = {}
        first: dict[str, float] = {}

        def indicators(name: str) -> float:
            """The faster of two runs, as for the reference."""
            times = []
            for _ in range(2):
                start = time.perf_counter()
                table = indicator_table(con, IndicatorQuery(freq="week"))
                times.append(time.perf_counter() - start)
                kept[name] = table.filter(pc.is_in(table["pair"], value_set=sampled))
                sizes[name] = (table.num_rows, len(pc.unique(table["pair"])))
                del table
            first[name] = times[0]
            return min(times)

        from_events = indicators("from_events")
        weeks = _seconds(lambda: refresh_weeks(con))  # what every ingest keeps up to date (ADR 012)
        from_weeks = indicators("from_weeks")
        assert sizes["from_weeks"] == sizes["from_events"], sizes
        rows, pairs = sizes["from_weeks"]
        for name, table in kept.items():
            con.register(name, table)
        differs = " OR ".join(
            f"coalesce(abs(w.{c} - e.{c}) > 1e-9, (w.{c} IS NULL) <> (e.{c} IS NULL))" for c in WIDE_COLUMNS[2:]
        )
        differing = con.execute(
            f"SELECT count(*) FROM from_weeks w FULL JOIN from_events e USING (pair, period) "
            f"WHERE w.pair IS NULL OR e.pair IS NULL OR {differs}"
        ).fetchall()[0][0]
        assert differing == 0, f"the stored weeks and the events gave different indicators in {differing} rows"
    db.unlink(missing_ok=True)
    return {
        "events": stored,
        "build_s": built,
        "layout_s": laid_out,
        "reference_s": reference,
        "stored_pair_s": stored_pair,
        "first_from_weeks_s": first["from_weeks"],
        "first_from_events_s": first["from_events"],
        "from_events_s": from_events,
        "weeks_s": weeks,
        "from_weeks_s": from_weeks,
        "rows": rows,
        "pairs": pairs,
        "peak_mb": _peak_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[10_000_000, 40_000_000])
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "work")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = [measure(args.workdir, n) for n in args.events]
    commit = current_commit()
    lines = [
        f"\n# Indicators (`python benchmarks/indicators.py`)\n\n## {time.strftime('%Y-%m-%d')} — commit {commit}",
        f"\nMachine: {machine()}. {len(INDICATORS)} indicators, all pairs, weekly, baselines and z-scores "
        "(pair-weeks with incidents), the faster of two runs, against one plain GROUP BY (pair, week) "
        "(the faster of two; the pair made from the actor countries, and, next, the stored pair column), "
        "both fetched as Arrow tables, in the same process (each result released once timed); "
        "events laid out by pair as the first ingest leaves them. From the stored weeks: what a settled "
        "store answers (ADR 012; building them from scratch is the next column, an ingest updates its "
        "pairs' weeks); from the events: the counting pass included. Peak RSS is the process's "
        "maximum so far (cumulative across sizes).\n",
        "| events | pairs | output rows | reference GROUP BY (s) | by the stored pair (s) "
        "| from the stored weeks (s) | ratio | ratio to the stored pair "
        "| from the events (s) | ratio | ratio to the stored pair | stored weeks built (s) | peak RSS (MB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *[
            f"| {r['events']:,} | {r['pairs']:,} | {r['rows']:,} | {r['reference_s']:.2f} "
            f"| {r['stored_pair_s']:.2f} | {r['from_weeks_s']:.2f} "
            f"| **{r['from_weeks_s'] / r['reference_s']:.2f}** | **{r['from_weeks_s'] / r['stored_pair_s']:.2f}** "
            f"| {r['from_events_s']:.2f} | **{r['from_events_s'] / r['reference_s']:.2f}** "
            f"| **{r['from_events_s'] / r['stored_pair_s']:.2f}** "
            f"| {r['weeks_s']:.2f} | {r['peak_mb']:,.0f} |"
            for r in results
        ],
        "\nFirst of the two runs (a process's first all-pairs question, with fresh memory): "
        + "; ".join(
            f"{r['events']:,} events: {r['first_from_weeks_s']:.2f} s from the stored weeks, "
            f"{r['first_from_events_s']:.2f} s from the events"
            for r in results
        )
        + ".",
        "\nTargets: ratio ≤ 2; ≤ 10 s for 40M events.",
    ]
    record(lines, append=not args.no_record)


if __name__ == "__main__":
    main()
