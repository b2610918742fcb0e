"""Where tension stands now: every pair's latest weekly stage and index, the pairs rising
fastest, and each country's highest stage with any partner (the dashboard's map)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from flashpoint.config import Settings
from flashpoint.escalation.ladder import event_scores
from flashpoint.store.queries import last_event_date


@dataclass(frozen=True)
class Overview:
    """``pairs``: pair, latest period, stage, index, change of the index over ``weeks``;
    ``countries``: iso3, highest stage, highest index, the pair behind them; ``as_of``."""

    as_of: dt.date | None
    pairs: pd.DataFrame
    countries: pd.DataFrame


def overview(con: duckdb.DuckDBPyConnection, settings: Settings, /, *, weeks: int = 4) -> Overview:
    """The overview of the store's last ``weeks`` weeks (pairs without incidents then are calm)."""
    last = last_event_date(con)
    empty = pd.DataFrame(columns=["pair", "period", "stage", "escalation_index", "rise"])
    if last is None:
        return Overview(None, empty, pd.DataFrame(columns=["iso3", "stage", "escalation_index", "pair"]))
    since = last - dt.timedelta(weeks=2 * weeks)
    scores = event_scores(con, settings, freq="week", since=since, until=last)
    recent = scores[pd.to_datetime(scores["as_of"]) > pd.Timestamp(last - dt.timedelta(weeks=weeks))]
    before = scores[pd.to_datetime(scores["as_of"]) <= pd.Timestamp(last - dt.timedelta(weeks=weeks))]
    latest = recent.sort_values("period").groupby("pair").tail(1).set_index("pair")
    previous = before.groupby("pair")["escalation_index"].max()
    pairs = (
        latest[["period", "stage", "escalation_index"]]
        .assign(rise=latest["escalation_index"] - previous.reindex(latest.index).fillna(0.0))
        .reset_index()
    )
    pairs = pairs.sort_values(["rise", "escalation_index"], ascending=False, ignore_index=True)
    sides = pd.concat([pairs.assign(iso3=pairs["pair"].str[:3]), pairs.assign(iso3=pairs["pair"].str[4:])])
    countries = (
        sides.sort_values(["stage", "escalation_index"], ascending=False)
        .groupby("iso3")
        .head(1)[["iso3", "stage", "escalation_index", "pair"]]
        .reset_index(drop=True)
    )
    return Overview(last, pairs, countries)
