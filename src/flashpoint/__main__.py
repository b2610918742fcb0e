"""``python -m flashpoint``: the command line."""

from __future__ import annotations

from flashpoint.cli import main

main()
