"""The situation brief on the demo store: what changed and why, with evidence; one printed page."""

from __future__ import annotations

import datetime as dt
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

from weasyprint import HTML

from flashpoint.config import Settings
from flashpoint.reports.brief import build_brief, render_brief
from flashpoint.store.connection import open_store


def test_a_brief_says_what_changed_and_prints_on_one_page(demo_db: Path) -> None:
    settings = Settings(db=demo_db)
    with open_store(settings, read_only=True) as con:
        brief = build_brief(con, settings, "ISR-PSE", as_of=dt.date(2012, 11, 30))
    # The Gaza war's air strikes are placed in Georgia in this slice (low confidence); its confident
    # threats and accusations raise the pair to verbal hostility, with the reports behind it.
    assert brief.stage == 1 and brief.change.startswith("watch alert for the week ending 2012-11-25")
    assert "3 independent reports behind it" in brief.change
    assert any(e["cameo_code"] == "130" and e["confidence"] >= 0.5 for e in brief.evidence)  # a threat, 2012-11-22
    assert len(brief.levers) == 3 and brief.levers[0]["why"]
    text, media = render_brief(brief, "md")
    assert media.startswith("text/markdown") and "## Yearly metrics, 2012" in text.decode()
    assert "ISR→PSE 130 Threaten, not specified below" in text.decode()
    assert "No forecast: too few cases (n = 0 positive" in text.decode()
    pdf, media = render_brief(brief, "pdf")
    assert media == "application/pdf" and pdf.startswith(b"%PDF")
    html, _ = render_brief(brief, "html")
    assert len(HTML(string=html.decode()).render().pages) == 1  # the PDF is this HTML, printed
    # The year to 2012-11-30 holds one gap in the data (no GDELT event on 25 August 2012); none after it.
    assert (
        brief.data_gaps == ["2012-08-25"]
        and "left out of the indicators and their baselines: 2012-08-25." in text.decode()
        and "2012-08-25." in html.decode()
    )


def test_a_brief_as_of_a_day_reads_nothing_after_it(demo_db: Path, tmp_path: Path) -> None:
    day = dt.date(2012, 8, 31)
    with open_store(Settings(db=demo_db), read_only=True) as con:
        full = render_brief(build_brief(con, Settings(db=demo_db), "GEO-RUS", as_of=day), "md")[0].decode()
    cut = Settings(db=tmp_path / "cut.duckdb")
    shutil.copy(demo_db, cut.db)
    with open_store(cut) as con:
        con.execute("DELETE FROM events WHERE event_date > ?", [day])
        only_before = render_brief(build_brief(con, cut, "GEO-RUS", as_of=day), "md")[0].decode()
    assert "too few cases" in full and "## Yearly metrics, 2012 (to 2012-08-31)" in full
    assert full == only_before


def test_a_pdf_brief_goes_to_a_file_or_a_redirect_not_to_a_terminal(demo_db: Path) -> None:
    command = [sys.executable, "-m", "flashpoint", "--db", str(demo_db), "brief", "--dyad", "GEO-RUS", "--format", "pdf"]
    main, terminal = pty.openpty()
    with subprocess.Popen(command, stdout=terminal, stderr=subprocess.PIPE, text=True) as proc:
        os.close(terminal)
        said = proc.stderr.read() if proc.stderr else ""
        assert proc.wait(timeout=120) == 1
    os.close(main)
    assert "a PDF is not for the terminal; give --out FILE.pdf" in said
    redirected = subprocess.run(command, capture_output=True, timeout=300)
    assert redirected.returncode == 0 and redirected.stdout.startswith(b"%PDF")


def test_a_briefs_format_follows_the_file_name_unless_told(demo_db: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flashpoint.cli import app

    def brief(*options: str):  # noqa: ANN202 - a CliRunner result
        return CliRunner().invoke(app, ["--db", str(demo_db), "brief", "--dyad", "GEO-RUS", *options], env={"COLUMNS": "200"})

    assert "pdf brief written" in brief("--out", str(tmp_path / "b.pdf")).output
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")  # not Markdown in a file named .pdf
    assert brief("--out", str(tmp_path / "b.HTML")).exit_code == 0
    assert (tmp_path / "b.HTML").read_text().lstrip().lower().startswith("<!doctype html")
    assert brief("--format", "markdown", "--out", str(tmp_path / "b.txt")).exit_code == 0
    assert (tmp_path / "b.txt").read_text().startswith("# GEO-RUS: situation brief")
    refused = brief("--format", "html", "--out", str(tmp_path / "c.pdf"))
    assert refused.exit_code == 1 and "the file name says pdf" in str(refused.exception)
    assert not (tmp_path / "c.pdf").exists()


def test_a_brief_says_what_is_at_stake_a_stage_up_or_that_it_has_no_consequence_data(demo_db: Path, shared_data: Path) -> None:
    without = Settings(db=demo_db)
    with open_store(without, read_only=True) as con:
        brief = build_brief(con, without, "GEO-RUS", as_of=dt.date(2012, 11, 30))
    assert brief.stakes == [] and brief.stakes_note.startswith("no consequence data")
    settings = Settings(db=demo_db, reference_data=shared_data)
    with open_store(settings, read_only=True) as con:
        brief = build_brief(con, settings, "GEO-RUS", as_of=dt.date(2012, 11, 30))
    assert brief.stakes_stage == (3 if brief.stage is None or brief.stage < 3 else 4)
    assert "analogue disputes, matched on contiguous" in brief.stakes_note
    assert any(line.startswith("became a war (hostility level 5): ") for line in brief.stakes)
    assert any(line.startswith("their trade in 2011: US$") for line in brief.stakes)  # COW trade known by the date
    text = render_brief(brief, "md")[0].decode()
    assert f"## What is at stake at stage {brief.stakes_stage}" in text
    html, _ = render_brief(brief, "html")
    assert len(HTML(string=html.decode()).render().pages) == 1  # still one printed page
