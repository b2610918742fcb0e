"""docs/evaluation.md: every published figure re-run from the shared data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flashpoint.config import Settings
from flashpoint.escalation.alerts import raise_alerts
from flashpoint.escalation.scorecard import read_onsets, render_markdown, score_alerts
from flashpoint.sources.series import SeriesReader
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _published(name: str) -> str:
    text = (DOCS / "evaluation.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- evaluation:{name} -->\n(.*?)<!-- /evaluation:{name} -->", text, re.S)
    assert found, f"docs/evaluation.md has no section '{name}'"
    return found.group(1)


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize(("freq", "baseline"), [("day", 30), ("week", 12)])
def test_the_published_alert_scorecard_still_holds(shared_data: Path, tmp_path: Path, freq: str, baseline: int) -> None:
    settings = Settings(db=tmp_path / "store.duckdb", memory_limit="2GB", threads=2, alert_method="index")
    series = shared_data / "gdelt_dyad_daily_2018_2024" / "dyad_daily_selected_2018_2024.csv"
    with open_store(settings) as con:
        ingest_paths(con, [str(series)], reader=SeriesReader("edge_weight"))
        raise_alerts(con, settings, series="edge_weight", freq=freq, baseline_periods=baseline)
        card = score_alerts(
            con,
            read_onsets(shared_data / "escalation_onsets" / "onsets_2018_2024.csv"),
            basis="series:edge_weight",
            freq=freq,
            window_days=30,
            min_level="warning",
        )
    assert card.summary["onsets"] == 16 and card.summary["covered"] == 16
    assert render_markdown(card) == _published(freq)
