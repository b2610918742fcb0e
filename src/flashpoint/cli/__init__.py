"""The ``flashpoint`` command line: parse input, call one domain function, render the result.

Each command imports what it needs when it runs — the domain modules and with them pandas,
Arrow, DuckDB, Ibis, scikit-learn — so ``flashpoint --help`` and the commands that read no store
start on Typer and rich alone (0.2 s of CPU instead of 1.5 s on the 2-core machine;
``benchmarks/startup.py``, and a test that keeps it so).
"""
# ruff: noqa: I001  (the import order below is the order of the help)

from __future__ import annotations

# Each module registers its commands; this order is the order of ``flashpoint --help``.
from flashpoint.cli import ingest  # noqa: F401
from flashpoint.cli import store  # noqa: F401
from flashpoint.cli import indicators  # noqa: F401
from flashpoint.cli import escalation  # noqa: F401
from flashpoint.cli import forecasts  # noqa: F401
from flashpoint.cli import responses  # noqa: F401
from flashpoint.cli import consequences  # noqa: F401
from flashpoint.cli import simulate  # noqa: F401
from flashpoint.cli import serve  # noqa: F401
from flashpoint.cli import start  # noqa: F401
from flashpoint.cli.common import app, main

__all__ = ["app", "main"]
