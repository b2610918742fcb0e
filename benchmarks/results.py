"""What every benchmark records with its figures: the machine, the commit, and where they go."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]


def machine() -> str:
    """Cores, CPU model, memory, OS, Python and DuckDB versions."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    )


def commit() -> str:
    """The short hash of the checked-out commit."""
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()


def record(lines: list[str], /, *, append: bool = True) -> None:
    """Print the result lines and, unless told not to, append them to benchmarks/RESULTS.md."""
    print("\n".join(lines))
    if append:
        with open(REPO / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
