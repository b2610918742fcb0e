"""The question an indicator computation answers: which pairs, which periods, which baseline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flashpoint.errors import InvalidInput
from flashpoint.indicators.baselines import MIN_BASELINE
from flashpoint.periods import check_span

#: Period names → Ibis truncation unit and pandas frequency.
FREQUENCIES = {"day": ("D", "D"), "week": ("W", "W-MON"), "month": ("M", "MS"), "year": ("Y", "YS")}


@dataclass(frozen=True)
class IndicatorQuery:
    """Which pair-periods to compute.

    ``dyad`` (two ISO3 codes) limits to one pair (both directions unless ``directed``);
    ``country`` gives one country's view, summed over all its partners (pair 'GEO-*');
    ``pairs`` limits an all-pairs query to these undirected pairs ('GEO-RUS', first code
    first); none of them computes every pair. ``since``/``until`` bound the periods
    reported; the baseline reads earlier periods too.

    Attributes
    ----------
    freq
        'day', 'week', 'month' or 'year' (:data:`FREQUENCIES`).
    dyad, directed, country, pairs
        Which pairs, as above.
    since, until
        The first and last days reported.
    baseline_periods
        The trailing periods each z-score is measured against.
    """

    freq: str = "month"
    dyad: tuple[str, str] | None = None
    country: str | None = None
    directed: bool = False
    since: dt.date | None = None
    until: dt.date | None = None
    baseline_periods: int = 12
    pairs: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.freq not in FREQUENCIES:
            raise InvalidInput(f"frequency '{self.freq}': use one of {', '.join(FREQUENCIES)}.")
        if self.country is not None and (self.dyad is not None or self.directed):
            raise InvalidInput("a country view sums over all partners: give --country alone, or --dyad A-B.")
        check_span(self.since, self.until)
        if self.baseline_periods < MIN_BASELINE:
            raise InvalidInput(f"baseline of {self.baseline_periods} periods: use at least {MIN_BASELINE}.")
