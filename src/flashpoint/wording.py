"""Counts and spans in words, as messages, reasons and briefs write them."""

from __future__ import annotations


def quantity(n: int, noun: str, /) -> str:
    """'1 incident', '3 incidents', '1,204 incidents': ``n`` with ``noun``, plural unless one.

    Examples
    --------
    >>> quantity(1, "measure"), quantity(2, "measure")
    ('1 measure', '2 measures')
    """
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def span(first: object, last: object, /) -> str:
    """'2013-03-01 to 2013-03-31', or '2012-08-25' when the span is one day (or period).

    Examples
    --------
    >>> span("2013-W10", "2013-W13"), span("2012-08-25", "2012-08-25")
    ('2013-W10 to 2013-W13', '2012-08-25')
    """
    return f"{first}" if first == last else f"{first} to {last}"


def confidence_words(confidence: float | None, reasons: str | None, /) -> str:
    """'0.48 (one source; …)', '1' for a row with nothing against it, '' when unknown.

    Examples
    --------
    >>> confidence_words(0.48, "one source"), confidence_words(1.0, None)
    ('0.48 (one source)', '1')
    """
    if confidence is None or confidence != confidence:  # None or NaN
        return ""
    return f"{confidence:.2g} ({reasons})" if reasons and reasons != "human-coded" else f"{confidence:.2g}"
