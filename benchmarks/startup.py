"""Start-up benchmark: the CPU a command spends before it can start its work (issue 29: ≤ 0.3 s).

Runs, in one process tree and in turn, each command the analyst waits for on a store that
already answers quickly — ``flashpoint --help``, ``flashpoint countries --search georgia``,
``flashpoint cite gdelt`` and ``flashpoint stats`` on the demo store — and two references: a
bare ``python -c pass`` and ``python -c "import typer, rich"`` (the command-line libraries
alone, the least a Typer command can spend). Each figure is the CPU (user + system) of the
whole process, the median of ``--repeat`` runs, so a busy machine's waits do not count.

Appends to ``benchmarks/RESULTS.md``.

Usage: python benchmarks/startup.py [--repeat 7] [--no-record]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import commit as current_commit
from results import machine, record

TARGET_SECONDS = 0.3


def cpu_seconds(command: list[str], env: dict[str, str]) -> float:
    """User + system CPU of one run of ``command`` (its children's, measured by the kernel)."""
    before = os.times()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    flashpoint = shutil.which("flashpoint") or sys.exit("flashpoint is not on PATH: run from the project's .venv")
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "demo.duckdb")
        env = {**os.environ, "FLASHPOINT_DB": db}
        subprocess.run([flashpoint, "demo", "--out", db], env=env, check=True, stdout=subprocess.DEVNULL)
        runs = {
            "reference: python -c pass": [sys.executable, "-c", "pass"],
            "reference: import typer, rich": [sys.executable, "-c", "import typer, rich.console, rich.table"],
            "flashpoint --help": [flashpoint, "--help"],
            "flashpoint countries --search georgia": [flashpoint, "countries", "--search", "georgia"],
            "flashpoint cite gdelt": [flashpoint, "cite", "gdelt"],
            "flashpoint stats (demo store)": [flashpoint, "stats"],
        }
        figures = {}
        for name, command in runs.items():
            cpu_seconds(command, env)  # a first run compiles the byte code
            figures[name] = statistics.median(cpu_seconds(command, env) for _ in range(args.repeat))
    reference = figures["reference: import typer, rich"]
    commands = {name: seconds for name, seconds in figures.items() if not name.startswith("reference")}
    worst = max(commands.values())
    lines = [
        f"# Start-up (`python benchmarks/startup.py`)\n\n## {time.strftime('%Y-%m-%d')} — commit {current_commit()}",
        "",
        f"Machine: {machine()}. CPU (user + system) of the whole process, median of {args.repeat} runs.",
        "",
        "| run | CPU seconds | × typer and rich alone |",
        "|---|---|---|",
        *[f"| {name} | {seconds:.3f} | {seconds / reference:.1f} |" for name, seconds in figures.items()],
        "",
        f"Slowest command **{worst:.2f} s** of CPU against the target of ≤ {TARGET_SECONDS} s "
        f"({'met' if worst <= TARGET_SECONDS else 'not met'}).",
        "",
    ]
    record(lines, append=not args.no_record)


if __name__ == "__main__":
    main()
