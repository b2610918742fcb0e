"""A country pair's one written form: the two ISO3 codes sorted and joined by a hyphen
('GEO-RUS'), as the store keeps it in ``events.pair`` and every table keyed by pair."""

from __future__ import annotations

from collections.abc import Iterable


def pair_key(codes: Iterable[str], /) -> str:
    """The pair of two ISO3 codes, in either order: ``pair_key(("RUS", "GEO"))`` is 'GEO-RUS'."""
    first, second = sorted(codes)
    return f"{first}-{second}"


def pair_codes(pair: str, /) -> tuple[str, str]:
    """The two codes of a pair 'GEO-RUS': ('GEO', 'RUS')."""
    first, second = pair.split("-")
    return first, second
