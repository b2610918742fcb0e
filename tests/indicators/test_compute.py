"""Indicators on the real Georgia data, checked against counts made independently from the raw rows."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.events.confidence import neighbour_pairs
from flashpoint.events.countries import iso3_from_fips
from flashpoint.indicators.compute import compute_indicators
from flashpoint.indicators.metrics import METRICS, yearly_metrics
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.indicators.registry import INDICATORS, indicator, render_markdown
from flashpoint.periods import parse_period
from flashpoint.sources import gdelt
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths

NON_STATE = {"REB", "UAF", "INS", "SEP"}


@pytest.fixture(scope="module")
def georgia(shared_data: Path, tmp_path_factory) -> tuple[Settings, list[dict[str, str]]]:  # noqa: ANN001
    """A store of the Georgia CSVs without clustering (each row its own incident), and the raw
    rows of the distinct events, read with the csv module in ingest order."""
    files = sorted((shared_data / "gdelt1_georgia_2011_2013").glob("*.csv"))
    settings = Settings(db=tmp_path_factory.mktemp("georgia") / "store.duckdb", memory_limit="2GB", threads=2)
    with open_store(settings) as con:
        ingest_paths(con, [str(f) for f in files], reader=gdelt)
    seen: dict[str, dict[str, str]] = {}
    for path in files:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            for raw in reader:
                row = dict(zip(header, raw[len(raw) - len(header) :]))
                seen.setdefault(row["GLOBALEVENTID"], row)
    return settings, list(seen.values())


def _weight(ind, row: dict[str, str]) -> float | None:  # noqa: ANN001
    """The registry's weight of a raw GDELT row, computed here independently of the engine."""
    code = row["EventCode"]
    prefixes = [p for p in ind.codes if code.startswith(p)]
    if not prefixes:
        return None
    actor = max(ind.actor_weights.get(row["Actor1Type1Code"], 1.0), ind.actor_weights.get(row["Actor2Type1Code"], 1.0))
    tone = float(row["AvgTone"]) if row["AvgTone"] not in ("", "NA") else 0.0
    hostile = min(1.0 + ind.tone_factor * max(-tone, 0.0), ind.tone_cap) if ind.tone_factor else 1.0
    return ind.codes[max(prefixes, key=len)] * (actor if ind.actor_weights else 1.0) * hostile


def _confidence(row: dict[str, str]) -> float:
    """The row's event confidence (docs/events.md), computed here from the raw fields."""
    quad = {
        **dict.fromkeys(range(1, 6), 1),
        **dict.fromkeys(range(6, 9), 2),
        **dict.fromkeys(range(9, 14), 3),
        **dict.fromkeys(range(14, 21), 4),
    }[int(row["EventCode"][:2])]
    factor = 0.8 if row["IsRootEvent"] == "0" else 1.0
    articles, sources = int(row["NumArticles"]), int(row["NumSources"])
    factor *= 0.6 if articles == 1 else 0.8 if sources == 1 else 1.0
    place, actors = iso3_from_fips(row["ActionGeo_CountryCode"]), {row["Actor1CountryCode"], row["Actor2CountryCode"]}
    if quad in (2, 4) and place and place not in actors:
        factor *= 0.45 if any((place, actor) in neighbour_pairs() for actor in actors) else 0.25
    if quad == 4 and row["AvgTone"] not in ("", "NA") and float(row["AvgTone"]) >= 5:
        factor *= 0.4
    return factor


#: The pair whose months are counted by hand per indicator: GEO-RUS, except for the buildup,
#: which the slice records between RUS and USA but not between GEO and RUS.
HAND_COUNTED = {i.name: ("GEO", "RUS") for i in INDICATORS if i.shape == "pair"} | {"buildup": ("RUS", "USA")}


@pytest.mark.shared_data
@pytest.mark.parametrize("name", list(HAND_COUNTED))
def test_months_match_a_hand_count(georgia, name: str) -> None:  # noqa: ANN001
    settings, rows = georgia
    ind, pair = indicator(name), HAND_COUNTED[name]
    expected: dict[dt.date, list[float]] = {}
    for row in rows:
        if (
            {row["Actor1CountryCode"], row["Actor2CountryCode"]} == set(pair)
            and row["Actor1Type1Code"] not in NON_STATE
            and (weight := _weight(ind, row)) is not None
        ):
            month = expected.setdefault(dt.date(int(row["SQLDATE"][:4]), int(row["SQLDATE"][4:6]), 1), [0.0, 0])
            month[0] += weight * _confidence(row)
            month[1] += _confidence(row) >= 0.5
    with open_store(settings, read_only=True) as con:
        frame = compute_indicators(con, IndicatorQuery(freq="month", dyad=pair))
    got = frame[frame.indicator == name].set_index("period")
    assert sum(value for value, _ in expected.values()) > 0
    assert {period: count for period, (_, count) in expected.items() if count} == {
        period: count for period, count in got.incidents.items() if count
    }
    for period, (value, _) in expected.items():
        assert got.value[period] == pytest.approx(value), period


@pytest.mark.shared_data
def test_a_country_view_sums_its_pairs(georgia) -> None:  # noqa: ANN001
    settings, _ = georgia
    with open_store(settings, read_only=True) as con:
        pairs = compute_indicators(con, IndicatorQuery(freq="month"))
        country = compute_indicators(con, IndicatorQuery(freq="month", country="GEO"))
    mine = pairs[pairs.pair.str.contains("GEO")].groupby(["period", "indicator"])[["incidents", "value"]].sum()
    view = country.set_index(["period", "indicator"]).loc[mine.index]
    assert set(country.pair) == {"GEO-*"}
    assert (view.incidents == mine.incidents).all()
    assert view.value.round(9).equals(mine.value.round(9))


@pytest.mark.shared_data
def test_geo_rus_2012_metrics_match_a_hand_count(georgia) -> None:  # noqa: ANN001
    settings, rows = georgia
    expected = {"meetings": 0, "escalation_incidents": 0}
    to_june = dict(expected)
    for row in rows:
        if {row["Actor1CountryCode"], row["Actor2CountryCode"]} == {"GEO", "RUS"} and row["SQLDATE"][:4] == "2012":
            code = row["EventCode"]
            if _confidence(row) < 0.5:  # the metrics count confident incidents only
                continue
            for counts in (expected, to_june) if row["SQLDATE"] <= "20120630" else (expected,):
                counts["meetings"] += code.startswith(("036", "04"))
                counts["escalation_incidents"] += code.startswith(("17", "18", "19", "20"))
    with open_store(settings, read_only=True) as con:
        frame = yearly_metrics(con, ("RUS", "GEO"), year=2012)
        year_to_june = yearly_metrics(con, ("RUS", "GEO"), year=2012, until=dt.date(2012, 6, 30))
    got = dict(zip(frame.metric, frame.value))
    assert expected["meetings"] > 0
    assert {k: got[k] for k in expected} == expected
    assert 0 < to_june["meetings"] < expected["meetings"]  # a brief as of 30 June counts the year to that day
    assert {k: v for k, v in zip(year_to_june.metric, year_to_june.value) if k in to_june} == to_june
    assert set(got) == {m.name for m in METRICS} | {"military_spending_GEO", "military_spending_RUS"}
    assert pd.isna(got["military_spending_GEO"])  # no spending ingested in this store


@pytest.mark.shared_data
def test_months_add_up_to_years_and_later_events_change_nothing_before(georgia) -> None:  # noqa: ANN001
    settings, _ = georgia
    with open_store(settings, read_only=True) as con:
        monthly = compute_indicators(con, IndicatorQuery(freq="month"))
        yearly = compute_indicators(con, IndicatorQuery(freq="year"))
        cut = compute_indicators(con, IndicatorQuery(freq="month", until=dt.date(2012, 6, 30)))
    monthly["year"] = [d.year for d in monthly.period]
    sums = monthly.groupby(["pair", "year", "indicator"])[["incidents", "value"]].sum()
    years = yearly.assign(year=[d.year for d in yearly.period]).set_index(["pair", "year", "indicator"])
    joined = sums.join(years[["incidents", "value"]].add_suffix("_year"), how="inner")
    assert len(joined) > 1000
    assert (joined.incidents == joined.incidents_year).all()
    assert joined.value.round(9).equals(joined.value_year.round(9))
    # Values and z-scores of a period use nothing dated after it.
    before = monthly[monthly.period <= dt.date(2012, 6, 1)].drop(columns="year").set_index(["pair", "period", "indicator"])
    cut = cut.set_index(["pair", "period", "indicator"]).loc[before.index]
    assert cut.value.round(9).equals(before.value.round(9)) and (cut.incidents == before.incidents).all()
    assert cut.z.fillna(-999).round(9).equals(before.z.fillna(-999).round(9))


@pytest.mark.shared_data
@pytest.mark.parametrize("freq", ["day", "week", "month"])
def test_a_start_date_lists_the_same_periods_as_the_whole_history(georgia, freq: str) -> None:  # noqa: ANN001
    # One pair, a country and a list of pairs list every period; from a start date they list
    # only the baseline before it, and every value and z-score from it on is the same.
    settings, _ = georgia
    since = dt.date(2012, 8, 8)
    views = [{"dyad": ("GEO", "RUS")}, {"country": "GEO"}, {"pairs": ("GEO-RUS", "GEO-USA", "RUS-USA")}]
    with open_store(settings, read_only=True) as con:
        for view in views:
            whole = compute_indicators(con, IndicatorQuery(freq=freq, **view))
            part = compute_indicators(con, IndicatorQuery(freq=freq, since=since, **view))
            whole = whole[whole.period >= since].reset_index(drop=True)
            # Seven indicators over at least the seven months to May 2013 (March 2013 is a gap in the data).
            assert len(part) >= 49 and part.period.min() - since < dt.timedelta(days=31)
            pd.testing.assert_frame_equal(part, whole)


def test_adding_an_event_never_lowers_a_count(settings: Settings, tmp_path: Path, gdelt2_lines) -> None:
    threat = gdelt2_lines[9].split("\t")  # Egypt and Saudi Arabia, dated 2016-07-01
    threat[0], threat[26], threat[27], threat[28] = "990000002", "138", "138", "13"
    (tmp_path / "a.tsv").write_text("\n".join(gdelt2_lines) + "\n")
    (tmp_path / "b.tsv").write_text("\t".join(threat) + "\n")
    with open_store(settings) as con:
        ingest_paths(con, [str(tmp_path / "a.tsv")], reader=gdelt)
        before = compute_indicators(con, IndicatorQuery(freq="day")).set_index(["pair", "period", "indicator"])
        ingest_paths(con, [str(tmp_path / "b.tsv")], reader=gdelt)
        after = compute_indicators(con, IndicatorQuery(freq="day")).set_index(["pair", "period", "indicator"])
    assert (after.loc[before.index].incidents >= before.incidents).all()
    rhetoric = after.xs("rhetoric", level="indicator")
    # A threat of force (3) to a government (× 1.5), in a slightly negative tone (× 1 + 0.05 per point),
    # weighed by the row's confidence (one article × 0.6, else one source × 0.8; not the lead event × 0.8).
    tone = float(threat[34])
    confidence = (0.6 if threat[33] == "1" else 0.8 if threat[32] == "1" else 1.0) * (0.8 if threat[25] == "0" else 1.0)
    assert confidence < 1  # the row exercises the weighing
    assert rhetoric.loc[("EGY-SAU", dt.date(2016, 7, 1))].value == pytest.approx(4.5 * (1 + 0.05 * max(-tone, 0)) * confidence)


def test_periods_and_bad_input() -> None:
    assert parse_period("2022-W07", "week") == dt.date(2022, 2, 14)
    assert parse_period("2022-02-16", "month") == dt.date(2022, 2, 1)
    with pytest.raises(InvalidInput, match="2022-W07"):
        parse_period("Feb 2022", "month")
    with pytest.raises(InvalidInput, match="frequency"):
        IndicatorQuery(freq="fortnight")


def test_docs_indicators_is_generated_from_the_registry() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "indicators.md").read_text(encoding="utf-8")
    assert text == render_markdown(), "run: python -c 'from flashpoint.indicators.registry import render_markdown'"
    assert all(f"## `{i.name}`" in text for i in INDICATORS)
