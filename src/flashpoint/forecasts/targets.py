"""What a forecast can be asked for: the panels' units and their targets, named once.

A light module (no data library): the command line lists them in its help.
"""

from __future__ import annotations

from typing import Final

#: The panels the forecasts and backtests are made on, by unit.
UNITS: Final = ("dyad-year", "dyad-month")
#: Targets of the dyad-year panel: name → what it is.
TARGETS: Final = {
    "onset": "a new militarised interstate dispute between the two in the next year (GML MID 2.2.1)",
    "force": "a dispute-year between the two reaching hostility level 4 (use of force) or 5 (war) next year",
}
#: Targets of the dyad-month panel: name → what it is.
EVENT_TARGETS: Final = {
    "stage3": "the pair reaches ladder stage 3 (limited use of force) or 4 in some week of the next k months",
    "stage2": "the pair reaches ladder stage 2 (coercive signalling) or above in some week of the next k months",
}
