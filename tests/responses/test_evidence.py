"""Lever evidence on the real ICB and UCDP data reproduces the published figures; respond on the demo."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from flashpoint.cli import app
from flashpoint.config import Settings
from flashpoint.responses.catalogue import levers
from flashpoint.responses.evidence import estimates_frame, lever_evidence, levers_evidence, render_evidence_markdown
from flashpoint.responses.ranking import published_evidence
from flashpoint.sources import crises, terminations
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def estimates(shared_data: Path, tmp_path_factory) -> pd.DataFrame:  # noqa: ANN001
    settings = Settings(db=tmp_path_factory.mktemp("evidence") / "store.duckdb", threads=2)
    with open_store(settings) as con:
        ingest_paths(con, [str(shared_data / "icb_v14" / "icb1v14_system_level.csv")], reader=crises)
        ingest_paths(con, [str(shared_data / "ucdp_misc" / "ucdp_conflict_termination_v3_2021.csv")], reader=terminations)
        found = [e for lv in levers() for e in lever_evidence(con, settings, lv, bases=("icb", "ucdp"))]
    return estimates_frame(found)


@pytest.mark.shared_data
@pytest.mark.slow
def test_the_published_evidence_still_holds(estimates: pd.DataFrame) -> None:
    shipped = published_evidence()
    assert list(shipped.columns) == list(estimates.columns) and len(shipped) == len(estimates) == 20
    numeric = ["effect", "low", "high", "raw_difference", "treated_rate", "control_rate", "balance"]
    assert np.allclose(shipped[numeric], estimates[numeric], atol=1e-3)
    assert shipped["verdict"].tolist() == estimates["verdict"].tolist()
    text = (DOCS / "evidence.md").read_text(encoding="utf-8")
    published = re.search(r"<!-- evidence:published -->\n(.*?)<!-- /evidence:published -->", text, re.S)
    assert published and render_evidence_markdown(estimates) == published.group(1)


@pytest.mark.shared_data
@pytest.mark.slow
def test_mediation_reproduces_beardsley_et_al_2006(estimates: pd.DataFrame) -> None:
    mediation = estimates[estimates["lever"] == "mediation"].set_index("outcome")
    for outcome in ("formal_agreement", "tension_reduced"):  # both more likely after mediation, clearly
        assert mediation.loc[outcome, "low"] > 0 and mediation.loc[outcome, "verdict"] == "favourable"
    raw = mediation.loc["formal_agreement"]
    assert raw["n_treated"] == 153 and raw["n_control"] == 290  # ICB MEDIATE 4 against 1


def test_respond_on_the_demo_store(demo_db: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(demo_db), "respond", "--dyad", "GEO-RUS", "--format", "json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert got["state"]["pair"] == "GEO-RUS" and got["state"]["as_of"] == "2013-05-31"
    assert len(got["levers"]) == 10 and all(r["reasons"] and r["risks"] and r["evidence"] for r in got["levers"])
    points = [r["points"] for r in got["levers"]]
    assert points == sorted(points, reverse=True)
    mediation = next(r for r in got["levers"] if r["lever"] == "mediation")
    assert any(line.startswith("icb: formal_agreement +32.0 points (+21.5 to +41.2") for line in mediation["evidence"])
    text = runner.invoke(
        app, ["--db", str(demo_db), "respond", "--dyad", "georgia-russia", "--date", "2012-08-31", "--format", "markdown"]
    )
    assert text.exit_code == 0 and text.output.startswith("# Levers for GEO-RUS as of 2012-08-31")
    assert "flashpoint cite icb" in text.output
    cite = runner.invoke(app, ["cite", "icb"])
    assert cite.exit_code == 0 and "International Crisis Behavior" in cite.output


def test_the_stores_evidence_as_of_a_day_reads_nothing_after_it(demo_db: Path, tmp_path: Path) -> None:
    day = pd.Timestamp("2012-08-31").date()
    chosen = [lv for lv in levers() if any(s.base == "events" for s in lv.evidence)][:2]
    # The demo's confident incidents reach stage 2 only with one incident a week (docs/evaluation.md).
    settings, cut_settings = (Settings(db=db, ladder_min_incidents=1.0) for db in (demo_db, tmp_path / "cut.duckdb"))
    with open_store(settings) as con:
        as_of_day = estimates_frame(levers_evidence(con, settings, chosen, bases=("events",), n_boot=20, until=day))
        everything = estimates_frame(levers_evidence(con, settings, chosen, bases=("events",), n_boot=20))
    shutil.copy(demo_db, cut_settings.db)
    with open_store(cut_settings) as con:
        con.execute("DELETE FROM events WHERE event_date > ?", [day])
        only_before = estimates_frame(levers_evidence(con, cut_settings, chosen, bases=("events",), n_boot=20))
    assert len(as_of_day) and as_of_day["n_treated"].sum() + as_of_day["n_control"].sum() > 0
    pd.testing.assert_frame_equal(as_of_day, only_before)
    assert not as_of_day.equals(everything)  # the later events would have changed it
