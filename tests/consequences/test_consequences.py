"""The consequences of escalation from analogue disputes, on the shared reference tables."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flashpoint.cli import app
from flashpoint.consequences.analogues import pair_consequences
from flashpoint.consequences.backtest import backtest_consequences, render_backtest_markdown
from flashpoint.consequences.episodes import AFTER_YEARS
from flashpoint.consequences.tables import TABLES
from flashpoint.errors import InvalidInput, UnknownCountry
from flashpoint.events.countries import resolve_country, state_system_table

DOCS = Path(__file__).resolve().parents[2] / "docs"
pytestmark = pytest.mark.shared_data


def test_armenia_azerbaijan_at_stage_3_gives_figures_with_spreads_counts_and_sources(shared_data: Path) -> None:
    found = pair_consequences("ARM-AZE", stage=3, data_dir=shared_data, as_of=dt.date(2024, 1, 1))
    assert found.analogues >= 10 and found.criteria[0] == "contiguous"
    figures = {f.key: f for f in found.figures}
    assert {"became_war", "refugees_after", "neighbour_onset", "trade_change", "major_joined"} <= set(figures)
    for figure in figures.values():
        assert figure.source and figure.n <= found.analogues
        if figure.value is not None:
            assert figure.low <= figure.value <= figure.high
    war = figures["became_war"]
    assert 0 < war.value < 0.5 and war.low < war.value < war.high  # a share with its Wilson interval
    assert "TUR" in found.neighbours["ARM"] and "IRN" in found.neighbours["AZE"]
    assert found.stronger is not None and found.stronger[1] <= 2023
    assert "RUS" in found.major_allies["ARM"]  # the CSTO ally, and a major power


def test_an_as_of_date_reads_no_outcome_and_no_fact_from_after_it(shared_data: Path) -> None:
    day = dt.date(2014, 3, 1)
    found = pair_consequences("RUS-UKR", stage=4, data_dir=shared_data, as_of=day)
    assert found.cases and max(case["year"] for case in found.cases) + AFTER_YEARS <= 2013
    assert {case["hostility"] for case in found.cases} == {5}
    assert found.trade_year is not None and found.trade_year <= 2013
    assert found.stronger is not None and found.stronger[0] == "RUS" and found.stronger[1] <= 2013
    assert all(year <= 2013 for year, _ in found.displaced.values())
    assert "UKR" not in found.displaced  # Ukraine's displacement began in 2014: not known on the day
    assert found.receivers and all(year <= 2013 for year, _ in found.receivers.values())
    assert all(len(hosts) <= 3 and hosts[0][1] >= hosts[-1][1] for _, hosts in found.receivers.values())
    later = pair_consequences("RUS-UKR", stage=4, data_dir=shared_data, as_of=dt.date(2016, 1, 1))
    assert "UKR" in later.displaced


def test_a_date_before_any_known_outcome_says_there_is_nothing_to_compare(shared_data: Path) -> None:
    found = pair_consequences("FRA-GBR", stage=4, data_dir=shared_data, as_of=dt.date(1820, 1, 1))
    assert found.analogues == 0 and found.figures == ()
    assert "no past dispute reached stage 4" in found.note


def test_bad_requests_get_clear_errors(shared_data: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="stage 3 .* or 4"):
        pair_consequences("ARM-AZE", stage=2, data_dir=shared_data)
    with pytest.raises(InvalidInput, match="missing; give --data-dir a folder laid out like the shared data"):
        pair_consequences("ARM-AZE", stage=3, data_dir=tmp_path)


def test_every_country_code_of_the_reference_tables_resolves(shared_data: Path) -> None:
    """COW and Gleditsch–Ward numbers through the state-system table, ISO3 codes through the one
    resolver; only the pseudo-codes that stand for no country are left, and named."""
    cow, gw = state_system_table("cow"), state_system_table("gw")

    def numbers(sql: str) -> set[str]:
        return {str(int(row[0])) for row in duckdb.sql(sql).fetchall() if row[0] is not None}

    peace, trade = shared_data / "peacesciencer", shared_data / TABLES["cow_trade"].path
    for table, column in (
        ("gml_mid_ddydisps", "ccode1"),
        ("gml_mid_ddydisps", "ccode2"),
        ("cow_war_inter", "ccode1"),
        ("cow_nmc", "ccode"),
    ):
        assert numbers(f"SELECT DISTINCT {column} FROM '{peace / table}.csv'") <= set(cow), table
    assert numbers(f"SELECT DISTINCT ccode1 FROM read_csv('{trade}') UNION SELECT ccode2 FROM read_csv('{trade}')") <= set(cow)
    assert numbers(f"SELECT DISTINCT gwcode FROM '{peace / 'ucdp_onsets.csv'}'") <= set(gw)
    unresolved = set()
    for name, sql in (
        ("unhcr", "SELECT DISTINCT coo_iso FROM '{}' UNION SELECT DISTINCT coa_iso FROM '{}'"),
        ("idmc", "SELECT DISTINCT ISO3 FROM '{}'"),
    ):
        path = shared_data / TABLES[name].path
        for (code,) in duckdb.sql(sql.format(path, path)).fetchall():
            try:
                resolve_country(code)
            except UnknownCountry:
                unresolved.add(code)
    assert unresolved == {"UKN", "TIB", "STA", "AB9"}  # unknown, Tibetan, stateless origins; Abyei Area


@pytest.mark.slow
def test_the_published_backtest_still_holds(shared_data: Path) -> None:
    text = (DOCS / "consequences.md").read_text(encoding="utf-8")
    for stage in (3, 4):
        published = re.search(rf"<!-- consequences:stage{stage} -->\n(.*?)<!-- /consequences:stage{stage} -->", text, re.S)
        assert published, f"docs/consequences.md has no stage {stage} table"
        measured = render_backtest_markdown(backtest_consequences(shared_data, stage=stage))
        assert measured == published.group(1)


def test_the_command_prints_the_figures_and_says_when_no_folder_is_given(shared_data: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["consequences", "--dyad", "ARM-AZE", "--stage", "3", "--data-dir", str(shared_data), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["pair"] == "ARM-AZE" and found["analogues"] >= 10 and found["figures"]
    result = runner.invoke(app, ["consequences", "--dyad", "ARM-AZE"], env={"FLASHPOINT_REFERENCE_DATA": ""})
    assert result.exit_code == 1 and "no reference data" in str(result.exception)
    for name in TABLES:
        cited = runner.invoke(app, ["cite", name], env={"COLUMNS": "200"})
        assert cited.exit_code == 0 and "Licence" in cited.output
    assert "non-commercial" in runner.invoke(app, ["cite", "idmc"], env={"COLUMNS": "200"}).output


def test_the_stage_defaults_to_the_next_one_up_from_the_pair_s_stage_in_the_store(shared_data: Path, demo_db: Path) -> None:
    from flashpoint.config import Settings
    from flashpoint.consequences.analogues import stage_up
    from flashpoint.escalation.ladder import current_stage
    from flashpoint.store.connection import open_store

    settings = Settings(db=demo_db)
    with open_store(settings, read_only=True) as con:
        stage = current_stage(con, settings, "GEO-RUS", dt.date(2012, 11, 30))
    result = CliRunner().invoke(
        app,
        [
            "--db",
            str(demo_db),
            "consequences",
            "--dyad",
            "GEO-RUS",
            "--date",
            "2012-11-30",
            "--data-dir",
            str(shared_data),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stage"] == stage_up(stage) and stage_up(None) == 3 and stage_up(3) == stage_up(4) == 4
