"""SQL literals written into the engine's queries."""

from __future__ import annotations

from collections.abc import Iterable


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_strings(values: Iterable[str]) -> str:
    """SQL string literals separated by commas, for an IN list or a list literal ('' when none)."""
    return ", ".join(sql_string(v) for v in values)
