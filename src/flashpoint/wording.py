"""Counts in words, as messages, reasons and briefs write them."""

from __future__ import annotations


def quantity(n: int, noun: str, /) -> str:
    """'1 incident', '3 incidents', '1,204 incidents': ``n`` with ``noun``, plural unless one.

    Examples
    --------
    >>> quantity(1, "measure"), quantity(2, "measure")
    ('1 measure', '2 measures')
    """
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
