"""How often a third state is drawn into a crisis: the basis of the simulator's third-party hazard.

From International Crisis Behavior v14: a crisis **draws in** a third state when one of its
crisis actors (actor level) perceived its own crisis more than a week after the crisis began
(system level trigger). Per stage, the share of crises at the matching violence level (VIOL:
stages 1–2 no violence, stage 3 minor or serious clashes, stage 4 full-scale war) that drew
one in is spread evenly over the level's median crisis length in weeks:
hazard = 1 − (1 − share)^(1 / weeks). Stage 0 is no crisis: no hazard.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pandas as pd

from flashpoint.errors import InvalidInput

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
    system["weeks"] = (_date(system, "yrterm", "moterm", "daterm") - _date(system, "yrtrig", "motrig", "datrig")).dt.days / 7
    crises = system.join(drew_in, on="crisno", how="inner")
    hazard = [0.0]
    for stage in range(1, 5):
        rows = crises[crises["viol"].isin(_STAGE_VIOLENCE[stage])]
        share = float(rows["drew_in"].mean())
        hazard.append(round(1 - (1 - share) ** (1 / float(rows["weeks"].median())), 4))
    return tuple(hazard)
