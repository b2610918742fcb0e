"""The ``flashpoint`` command line: parse input, call one domain function, render the result.

The commands that fit models, draw charts, write briefs or serve (scikit-learn, Altair,
Jinja2, FastAPI) import those modules when they run, so every other command starts without
them (``flashpoint --help``: 1.4 s instead of 2.6 s on the 2-core machine).
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
from flashpoint.cli import simulate  # noqa: F401
from flashpoint.cli import serve  # noqa: F401
from flashpoint.cli import start  # noqa: F401
from flashpoint.cli.common import app, main

__all__ = ["app", "main"]
