"""Event confidence on real rows: each reason, on rows of the bundled GDELT slice and of the
other sources' real samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from flashpoint.config import Settings
from flashpoint.events.confidence import FACTORS, render_markdown
from flashpoint.sources import acled, icews
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths

#: Real rows of the demo store (GDELT 1.0, action placed in Georgia): event id → (confidence, reasons).
EXPECTED = {
    # A market bomb in Afghanistan, datelined in Tbilisi: "Afghanistan uses force against Russia" in Georgia.
    "gdelt1:254891933": (
        0.288,
        "not the lead event of its article; one source; physical action placed in GEO, a neighbour, not in AFG or RUS",
    ),
    # Mexico and the United States, placed in "Georgia" (the US state, read as the country).
    "gdelt1:209059155": (0.25, "physical action placed in GEO, away from MEX and USA"),
    # "Italy occupies US territory": Rome, Georgia (US), in a story of positive tone.
    "gdelt1:70922126": (
        0.1,
        "physical action placed in GEO, away from ITA and USA; material conflict in a story of positive tone (7.8)",
    ),
    # Russia's "ethnic cleansing" against a Georgian minister: the 2008 war recalled in a friendly story.
    "gdelt1:190151287": (0.32, "not the lead event of its article; material conflict in a story of positive tone (6.4)"),
    "gdelt1:125873108": (0.6, "one article"),
    "gdelt1:214507692": (0.8, "one source"),
    "gdelt1:204772100": (1.0, None),  # a lead event, several sources, between the two states, placed in one
}


def test_each_reason_on_real_gdelt_rows(demo_db: Path) -> None:
    with open_store(Settings(db=demo_db), read_only=True) as con:
        got = {
            r[0]: (r[1], r[2])
            for r in con.execute(
                "SELECT event_id, confidence, confidence_reasons FROM events WHERE list_contains(?, event_id)", [list(EXPECTED)]
            ).fetchall()
        }
    assert got == EXPECTED


@pytest.mark.shared_data
def test_icews_rows_carry_no_counts_and_human_coded_rows_are_trusted(
    shared_data: Path, settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "q.txt").write_text("Military (Russia)\tOccupy territory\tNaval (Ukraine)\t2014-03-02\n", encoding="utf-8")
    with open_store(settings) as con:
        ingest_paths(con, [str(tmp_path / "q.txt")], reader=icews)
        ingest_paths(con, [str(shared_data / "acled_acledR" / "acled_old_dummy.csv")], reader=acled)
        rows = con.execute(
            "SELECT source, min(confidence), max(confidence), any_value(confidence_reasons) "
            "FROM events GROUP BY source ORDER BY source"
        ).fetchall()
    assert rows == [("acled", 1.0, 1.0, "human-coded"), ("icews", 0.8, 0.8, "machine-coded, without report counts")]


@pytest.mark.parametrize("factor", FACTORS, ids=lambda f: f.name)
def test_every_factor_is_documented(factor) -> None:  # noqa: ANN001
    docs = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text(encoding="utf-8")
    assert f"| `{factor.name}` | × {factor.factor:g} |" in docs and render_markdown() in docs
