"""Simulation benchmark: 10,000 runs × 52 weeks of the ladder chain, against drawing the same
random numbers alone.

Builds a realistic transition matrix (the pooled weekly chain of the bundled demo store, 100
posterior draws), then times in one process, fastest of ``--repeat``:

(a) ``simulate_paths`` with two interventions, miscalculation and third parties switched on,
    and ``summarise`` (exact parameter ranges included);
(b) the reference: generating the uniforms the simulation consumes (runs × weeks × 3) with
    NumPy, the least any Monte Carlo of this size must do.

Reports seconds, the ratio (a)/(b) and peak memory; target (a) ≤ 1 s on this 2-core machine.
Appends to ``benchmarks/RESULTS.md``.

Usage: python benchmarks/simulate.py [--runs 10000] [--weeks 52] [--repeat 5] [--no-record]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from flashpoint.config import Settings
from flashpoint.demo import run_demo
from flashpoint.simulate.chain import BANDS, count_transitions, event_histories
from flashpoint.simulate.scenario import Intervention, simulate_paths, summarise
from flashpoint.store.connection import open_store

from results import commit as current_commit
from results import machine, record

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(db=Path(folder) / "demo.duckdb")
        run_demo(settings)
        with open_store(settings, read_only=True) as con:
            chain = count_transitions(event_histories(con, settings), BANDS["events"])
    matrices = chain.draw(None, 100, np.random.default_rng(0))
    levers = (
        Intervention("mediation", 4, np.log(0.8), 0.1, "benchmark"),
        Intervention("talks", 8, np.log(0.9), 0.05, "benchmark"),
    )

    def simulation() -> None:
        paths = simulate_paths(matrices, 1, horizon=args.weeks, runs=args.runs, seed=1, interventions=levers, miscalculation=0.01)
        summarise(paths, matrices, 1, miscalculation=0.01)

    def reference() -> None:
        np.random.default_rng(1).random((args.weeks, 3, args.runs))

    timings = {}
    for name, fn in (("simulation", simulation), ("reference: the uniforms alone", reference)):
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        timings[name] = best
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ratio = timings["simulation"] / timings["reference: the uniforms alone"]
    commit = current_commit()
    lines = [
        f"## {time.strftime('%Y-%m-%d')} — commit {commit}, {args.runs:,} runs × {args.weeks} weeks",
        "",
        f"Machine: {machine()}. Fastest of {args.repeat}.",
        "",
        "| run | seconds |",
        "|---|---|",
        *[f"| {name} | {seconds:.3f} |" for name, seconds in timings.items()],
        "",
        f"Simulation / reference = **{ratio:.1f}**; simulation {timings['simulation']:.3f} s against the "
        f"target of ≤ 1 s ({'met' if timings['simulation'] <= 1 else 'not met'}); peak RSS {peak:,.0f} MB.",
        "",
    ]
    record(lines, append=not args.no_record)


if __name__ == "__main__":
    main()
