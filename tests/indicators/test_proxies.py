"""Fighting by non-state armed actors that a third state backs counts for the backer's pair."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from flashpoint.config import Settings
from flashpoint.indicators.compute import compute_indicators
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.store.connection import open_store

# (id, day, actor1 country, actor1 type, actor2 country, actor2 type, CAMEO code)
EVENTS = [
    (1, "2014-03-01", "RUS", "GOV", "UKR", "SEP", "072"),  # military aid to Ukraine's separatists
    (2, "2014-04-01", "BLR", "GOV", "UKR", "SEP", "051"),  # praise: words, not backing
    (3, "2014-05-10", "UKR", "SEP", "UKR", "MIL", "190"),  # the separatists fight
    (4, "2014-05-12", "UKR", "REB", "UKR", None, "193"),  # rebels of Ukraine fight too
    (5, "2014-05-20", "RUS", "REB", "RUS", "GOV", "190"),  # a fight in Russia: not Ukraine's actors
    (6, "2015-06-01", "UKR", "SEP", "UKR", "MIL", "190"),  # more than a year after the aid
    (7, "2015-07-01", "RUS", "GOV", "UKR", "GOV", "112"),  # the pair's own later event
]


def _store(settings: Settings) -> None:
    with open_store(settings) as con:
        for i, day, c1, t1, c2, t2, code in EVENTS:
            con.execute(
                "INSERT INTO events BY NAME SELECT ? AS event_id, 'test' AS source, CAST(? AS DATE) AS event_date, "
                "? AS actor1_iso3, ? AS actor1_type, ? AS actor2_iso3, ? AS actor2_type, "
                "CASE WHEN ? <> ? THEN least(?, ?) || '-' || greatest(?, ?) END AS pair, c.cameo_code, c.cameo_root, "
                "c.quad_class, c.goldstein, 'machine' AS coding, 0 AS ingest_id FROM cameo_codes c WHERE c.cameo_code = ?",
                [f"test:{i}", day, c1, t1, c2, t2, c1, c2, c1, c2, c1, c2, code],
            )


def _backed(frame: pd.DataFrame) -> dict[str, float]:
    proxy = frame[frame.indicator == "proxy"]
    return {str(p)[:7]: n for p, n in zip(proxy.period, proxy.backed_fighting) if n}


def test_fights_by_backed_actors_count_for_the_backers_pair(settings: Settings) -> None:
    _store(settings)
    with open_store(settings, read_only=True) as con:
        pair = compute_indicators(con, IndicatorQuery(freq="month", dyad=("UKR", "RUS")))
        backer_first = compute_indicators(con, IndicatorQuery(freq="month", dyad=("RUS", "UKR"), directed=True))
        other_way = compute_indicators(con, IndicatorQuery(freq="month", dyad=("UKR", "RUS"), directed=True))
        cut = compute_indicators(con, IndicatorQuery(freq="month", dyad=("RUS", "UKR"), until=dt.date(2014, 5, 10)))
        praised = compute_indicators(con, IndicatorQuery(freq="month", dyad=("BLR", "UKR")))
        ukraine = compute_indicators(con, IndicatorQuery(freq="month", country="UKR"))
    assert _backed(pair) == {"2014-05": 2}  # two fights within the year after the aid; none in 2015-06
    assert _backed(backer_first) == {"2014-05": 2} and _backed(other_way) == {}
    assert _backed(cut) == {"2014-05": 1}  # nothing after the day is read
    assert _backed(praised) == {}  # praise is not backing
    assert _backed(ukraine) == {"2014-05": 2}
    assert pair.loc[pair.indicator != "proxy", "backed_fighting"].isna().all()
    # Reported beside the proxy count: its value, incidents and z-score are the pair's own events.
    assert pair.loc[pair.indicator == "proxy", "incidents"].sum() == 1
