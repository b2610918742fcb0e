"""How often a third state is drawn into a crisis: the basis of the simulator's third-party hazard.

From International Crisis Behavior v14: a crisis **draws in** a third state when one of its
crisis actors (actor level) perceived its own crisis more than a week after the crisis began
(system level trigger). Per stage, the share of crises at the matching violence level (VIOL:
stages 1–2 no violence, stage 3 minor or serious clashes, stage 4 full-scale war) that drew
one in is spread evenly over the level's median crisis length in weeks:
hazard = 1 − (1 − share)^(1 / weeks). Stage 0 is no crisis: no hazard. Who would join:
each side's ATOP defence-pact allies (:func:`defence_allies`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pandas as pd

from flashpoint.errors import InvalidInput
from flashpoint.events.countries import state_system_table

_STAGE_VIOLENCE: Final = {1: (1,), 2: (1,), 3: (2, 3), 4: (4,)}
_FILES: Final = ("icb1v14_system_level.csv", "icb2v14_actor_level.csv")


def _date(frame: pd.DataFrame, year: str, month: str, day: str) -> pd.Series:
    days = frame[day].where(frame[day].between(1, 28), 1)
    return pd.to_datetime(pd.DataFrame({"year": frame[year], "month": frame[month], "day": days}), errors="coerce")


def third_party_hazard(data_dir: Path, /) -> tuple[float, ...]:
    """The weekly hazard per stage 0–4 from the ICB files in ``data_dir/icb_v14``.

    Raises
    ------
    InvalidInput
        When the ICB files are missing.
    """
    folder = Path(data_dir) / "icb_v14"
    if not all((folder / f).is_file() for f in _FILES):
        raise InvalidInput(f"data folder {data_dir}: icb_v14/{' and icb_v14/'.join(_FILES)} needed.")
    system = pd.read_csv(folder / _FILES[0], encoding="utf-8-sig")
    actors = pd.read_csv(folder / _FILES[1], encoding="utf-8-sig")
    late = (_date(actors, "yrtrig", "motrig", "datrig") - _date(actors, "systrgyr", "systrgmo", "systrgda")).dt.days > 7
    drew_in = late.groupby(actors["crisno"]).any().rename("drew_in")
    lasted = _date(system, "yrterm", "moterm", "daterm") - _date(system, "yrtrig", "motrig", "datrig")
    system["weeks"] = lasted.dt.days / 7
    crises = system.join(drew_in, on="crisno", how="inner")
    hazard = [0.0]
    for stage in range(1, 5):
        rows = crises[crises["viol"].isin(_STAGE_VIOLENCE[stage])]
        share = float(rows["drew_in"].mean())
        hazard.append(round(1 - (1 - share) ** (1 / float(rows["weeks"].median())), 4))
    return tuple(hazard)


def defence_allies(data_dir: Path, pair: tuple[str, str], /) -> tuple[int, dict[str, list[str]]]:
    """Each side's ATOP defence-pact allies in the latest year of ``data_dir/peacesciencer/
    atop_alliance.csv`` (ISO3 codes): the states most likely to join. Returns the year too.

    Raises
    ------
    InvalidInput
        When the ATOP table is missing.
    """
    path = Path(data_dir) / "peacesciencer" / "atop_alliance.csv"
    if not path.is_file():
        raise InvalidInput(f"data folder {data_dir}: peacesciencer/atop_alliance.csv needed for the allies.")
    atop = pd.read_csv(path)
    year = int(atop["year"].max())
    pacts = atop[(atop["year"] == year) & (atop["atop_defense"] == 1)]
    cow = {int(code): iso3 for code, iso3 in state_system_table("cow").items() if iso3}
    allies = {}
    for iso3 in pair:
        own = {code for code, found in cow.items() if found == iso3}
        partners = pacts[pacts["ccode1"].isin(own)]["ccode2"].astype(int).map(cow).dropna()
        allies[iso3] = sorted(set(partners) - set(pair))
    return year, allies
