"""Any CSV plus a TOML mapping: columns, code systems, event types, constants, quarantine."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flashpoint.cli import app
from flashpoint.errors import InvalidInput
from flashpoint.sources.csv_mapped import load_mapping

runner = CliRunner()

# An analyst's own table in their own layout; the rows restate real ACLED records of February
# 2022 (UKR52237, UKR52244) with Gleditsch-Ward codes and day-first dates.
TABLE = """ref;day;side_a;side_b;kind;killed;note
A1;25/02/2022;365;369;clash;4;"Vyshhorod, Kyiv oblast"
A2;25/02/2022;365;369;clash;0;"Tryokhizbenka, Luhansk"
A3;31/02/2022;365;369;clash;0;impossible date
A4;26/02/2022;365;369;dance-off;0;unknown type
A5;26/02/2022;999;369;clash;0;unknown state number
"""
MAPPING = """
source = "myconflicts"
coding = "human"
date_format = "%d/%m/%Y"

[columns]
event_id = "ref"
event_date = "day"
actor1_country = "side_a"
actor2_country = "side_b"
event_type = "kind"
fatalities = "killed"
source_ref = "note"

[code_systems]
actor1_country = "gw"
actor2_country = "gw"

[event_types]
clash = "190"

[constants]
location_country = "UKR"
"""


def test_mapped_csv_ingests_and_quarantines(tmp_path: Path) -> None:
    (tmp_path / "table.csv").write_text(TABLE.replace(";", ","), encoding="utf-8")
    (tmp_path / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    db = str(tmp_path / "store.duckdb")
    result = runner.invoke(
        app,
        ["--db", db, "ingest", "csv", str(tmp_path / "table.csv"), "--mapping", str(tmp_path / "mapping.toml")],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    events = runner.invoke(app, ["--db", db, "events", "--dyad", "RUS-UKR", "--format", "json"])
    quarantine = runner.invoke(app, ["--db", db, "quarantine", "--format", "json"])
    rows = {r["event_id"]: r for r in json.loads(events.output)}
    assert set(rows) == {"myconflicts:A1", "myconflicts:A2"}
    assert rows["myconflicts:A1"]["fatalities"] == 4 and rows["myconflicts:A1"]["cameo_code"] == "190"
    assert rows["myconflicts:A1"]["location_iso3"] == "UKR" and rows["myconflicts:A1"]["coding"] == "human"
    reasons = {r["line_number"]: r["reason"] for r in json.loads(quarantine.output)}
    assert reasons == {
        4: "date 31/02/2022 is not a date",
        5: "event type dance-off / CAMEO code - is not mapped",
        6: "actor1_country 999 does not resolve to a country",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('source = "x"\n[columns]\nwhen = "d"', "unknown field(s) when"),
        ('source = "x"\n[columns]\nevent_type = "t"', "say which column holds the date"),
        (
            'source = "x"\n[columns]\nevent_date = "d"\ncameo_code = "c"\n[code_systems]\nactor1_country = "klingon"',
            "bad code_systems entries actor1_country=klingon",
        ),
        ('source = "two words"', "'source' must be a short name"),
    ],
)
def test_bad_mappings_say_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=re.escape(message)):
        load_mapping(path)
