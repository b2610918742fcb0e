"""Warning-model benchmark: the whole ``flashpoint alerts raise`` on ICEWS 2012–2015 (190,756
events), its steps, one fit, and the probability of one pair, against a GROUP BY of the events
by pair and week (the least any weekly model must read).

Ingests every file of ``icews_events_2012_2015/`` from the shared data (``FLASHPOINT_SHARED_DATA``,
default ``../shared/data``) into a temporary store, then times, in one process:

(a) ``flashpoint alerts raise`` as a user runs it (a subprocess: start-up, features, every
    rolling origin's fit, the alerts);
(b) its steps: the features (``warning_frame``), the rolling fits (``warning_probabilities``),
    and the alerts (storing the probabilities, ``raise_alerts`` with the warnings);
(c) one fit on every row whose horizon has closed (the latest origin), and the probability of
    one pair with its drivers from that fit;
(e) the live watch's step: the stored fit applied to the 30 busiest pairs' last weeks
    (``live_warnings``: their features from their events, a year back, stored and flagged);
(d) the reference: DuckDB counting the events per pair and week.

Appends to ``benchmarks/RESULTS.md``.

Usage: python benchmarks/warning.py [--no-record]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from flashpoint.config import Settings
from flashpoint.escalation.alerts import raise_alerts
from flashpoint.forecasts import warning, warning_features
from flashpoint.refresh import ingest_files
from flashpoint.sources import icews
from flashpoint.store.connection import open_store

from results import commit as current_commit
from results import machine, record

REPO = Path(__file__).resolve().parents[1]


def _timed(fn):  # noqa: ANN001, ANN202
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    shared = Path(os.environ.get("FLASHPOINT_SHARED_DATA", REPO.parent / "shared" / "data"))
    files = sorted((shared / "icews_events_2012_2015").glob("*.tsv"))
    if not files:
        sys.exit(f"no ICEWS files under {shared}: set FLASHPOINT_SHARED_DATA")
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(db=Path(folder) / "icews.duckdb")
        with open_store(settings) as con:
            ingest_files(con, settings, [str(f) for f in files], reader=icews)
        command = [sys.executable, "-m", "flashpoint", "--db", str(settings.db), "alerts", "raise"]
        _, whole = _timed(lambda: subprocess.run(command, check=True, capture_output=True))
        spec = warning_features.WarningSpec.from_settings(settings)
        known = warning_features.training_onsets()
        with open_store(settings) as con:
            _, reference = _timed(
                lambda: con.execute(
                    "SELECT pair, date_trunc('week', event_date) AS week, count(*) FROM events GROUP BY ALL"
                ).fetchall()
            )
            frame, features = _timed(lambda: warning_features.warning_frame(con, settings, spec, known))
            run, fits = _timed(lambda: warning.warning_probabilities(frame, spec, known))

            def alerts() -> None:
                warning.store_probabilities(con, run, spec)
                flagged = run.probabilities[run.probabilities["probability"] >= run.probabilities["threshold"]]
                flagged = flagged.assign(
                    period=pd.to_datetime(flagged["period"]).dt.date,
                    as_of=pd.to_datetime(flagged["as_of"]).dt.date,
                    reason="benchmark",
                )
                raise_alerts(con, settings, warnings=flagged)

            _, alerting = _timed(alerts)
            busiest = tuple(
                r[0]
                for r in con.execute(
                    "SELECT pair FROM events WHERE pair IS NOT NULL GROUP BY pair ORDER BY count(*) DESC LIMIT 30"
                ).fetchall()
            )
            newest = con.execute("SELECT max(event_date) FROM events").fetchall()[0][0]
            warning.live_warnings(con, settings, busiest, newest)  # the fit is read once per watch
            _, live = _timed(lambda: warning.live_warnings(con, settings, busiest, newest))
        last = frame["as_of"].max()
        train = frame[frame["as_of"] + pd.Timedelta(days=spec.horizon_days) < last].fillna({"target": 0.0})
        names = list(spec.features)
        model, one_fit = _timed(lambda: warning.make_warning_model(spec.model).fit(train[names], train["target"]))
        row = frame[(frame["pair"] == "RUS-UKR") & (frame["as_of"] == last)]
        _, one_pair = _timed(lambda: (model.predict_proba(row[names]), warning._drivers(model, spec.features, row, train)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    steps = {
        "features (warning_frame)": features,
        f"{len(run.origins)} rolling fits (warning_probabilities)": fits,
        "alerts (store probabilities, raise_alerts)": alerting,
    }
    lines = [
        f"## {time.strftime('%Y-%m-%d')} — commit {current_commit()}, warning model on ICEWS 2012–2015",
        "",
        f"Machine: {machine()}. {len(frame):,} pair-weeks, {frame['pair'].nunique():,} pairs.",
        "",
        "| run | seconds |",
        "|---|---|",
        f"| `flashpoint alerts raise`, the whole command | {whole:.2f} |",
        *[f"| step: {name} | {seconds:.2f} |" for name, seconds in steps.items()],
        f"| one fit on {len(train):,} rows (the latest origin) | {one_fit:.2f} |",
        f"| the probability of one pair (RUS-UKR, its last week) with its drivers | {one_pair * 1000:.1f} ms |",
        f"| the live watch's step for the 30 busiest pairs (`live_warnings`) | {live * 1000:.0f} ms |",
        f"| reference: DuckDB counting the events per pair and week | {reference:.3f} |",
        "",
        f"Whole command / reference = **{whole / reference:.0f}×**; peak RSS of the steps {peak:,.0f} MB.",
        "",
    ]
    record(lines, append=not args.no_record)


if __name__ == "__main__":
    main()
