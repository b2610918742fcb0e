"""Red lines: rule files are checked field by field; crossings carry the events that crossed them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.indicators.redlines import check_rules, load_rules, record_crossings
from flashpoint.sources import gdelt
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('name = "x"\ndescription = "d"\ncodes = ["999"]', "rule 'x': field 'codes' must be a list of CAMEO codes"),
        ('name = "x"\ndescription = "d"\ncodes = ["19"]\ncolour = "red"', "rule 'x': unknown field 'colour'"),
        ('name = "x"\ndescription = "d"\ncodes = ["19"]\nmin_sources = 0', "rule 'x': field 'min_sources' must be"),
        ('name = "x"\ncodes = ["19"]', "rule 'x': field 'description' is missing"),
        ('name = "x"\ndescription = "d"\ncodes = ["19"]\nplaces = ["Ukraine"]', "rule 'x': field 'places'"),
    ],
)
def test_a_bad_field_is_named_with_file_and_rule(tmp_path: Path, rule: str, message: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("[[rule]]\n" + rule + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_rules(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_defaults_and_user_rules(tmp_path: Path) -> None:
    defaults = {r.name for r in load_rules()}
    assert {"first-use-of-force", "aerial-weapons", "occupation", "weapons-of-mass-destruction"} <= defaults
    path = tmp_path / "mine.toml"
    path.write_text(
        '[[rule]]\nname = "aerial-weapons"\ndescription = "stricter"\ncodes = ["195"]\nmin_incidents = 3\n'
        '[[rule]]\nname = "ukraine-strikes"\ndescription = "artillery in Ukraine"\ncodes = ["194"]\n'
        'places = ["UKR"]\n',
        encoding="utf-8",
    )
    rules = {r.name: r for r in load_rules(path)}
    assert rules["aerial-weapons"].min_incidents == 3 and rules["ukraine-strikes"].places == ("UKR",)


def test_crossings_record_their_events(settings: Settings, tmp_path: Path, gdelt2_lines) -> None:
    base = gdelt2_lines[9].split("\t")  # Egypt and Saudi Arabia, 2016-07-01, government actors

    def event(gid: int, day: str, code: str, sources: str) -> str:
        row = list(base)
        row[0], row[1], row[26], row[27], row[28], row[32] = str(gid), day, code, code, code[:2], sources
        return "\t".join(row)

    lines = [
        event(0, "20150601", "040", "2"),  # a consultation a year before: the store covers the look-back
        event(1, "20160701", "190", "1"),  # one source: below min_sources = 2
        event(2, "20160705", "195", "3"),  # aerial weapons, three sources: crosses two rules
        event(3, "20160810", "190", "4"),
    ]  # force again a month later: not a *first* use
    (tmp_path / "e.tsv").write_text("\n".join(lines) + "\n")
    with open_store(settings) as con:
        ingest_paths(con, [str(tmp_path / "e.tsv")], reader=gdelt)
        crossings = check_rules(con, load_rules(), IndicatorQuery(freq="month"))
        stored = record_crossings(con, crossings, "month")
        again = record_crossings(con, crossings, "month")
        rows = con.execute("SELECT count(*) FROM redline_crossings").fetchone()[0]
    got = {(r.rule, r.pair, r.period): (r.incidents, list(r.event_ids)) for r in crossings.itertuples()}
    assert got == {
        ("first-use-of-force", "EGY-SAU", dt.date(2016, 7, 1)): (1, ["gdelt2:2"]),
        ("aerial-weapons", "EGY-SAU", dt.date(2016, 7, 1)): (1, ["gdelt2:2"]),
    }
    assert stored == again == rows == 2  # recording again replaces, never duplicates
    with open_store(settings, read_only=True) as con:
        # With a look-back longer than the store's history, no crossing can be known to be a first.
        longer = check_rules(con, load_rules(), IndicatorQuery(freq="month"), first_lookback_days=400)
    assert set(longer.rule) == {"aerial-weapons"}
