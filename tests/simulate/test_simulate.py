"""The simulator against its fitted chain, a planted intervention, Richardson's model, the
third-party basis, and the published backtest."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from flashpoint.cli import app
from flashpoint.config import Settings
from flashpoint.simulate.arms_race import fit_richardson
from flashpoint.simulate.chain import BANDS, StageChain, count_transitions
from flashpoint.simulate.scenario import THIRD_PARTY_HAZARD, Intervention, exact_reach, simulate_paths, summarise
from flashpoint.simulate.third_parties import third_party_hazard
from flashpoint.simulate.validation import backtest_simulator, render_markdown, series_histories
from flashpoint.sources.series import SeriesReader
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths

DOCS = Path(__file__).resolve().parents[2] / "docs"
P = np.array(
    [
        [0.90, 0.07, 0.02, 0.01, 0.00],
        [0.30, 0.55, 0.10, 0.04, 0.01],
        [0.10, 0.20, 0.55, 0.12, 0.03],
        [0.02, 0.05, 0.20, 0.65, 0.08],
        [0.00, 0.02, 0.05, 0.18, 0.75],
    ]
)
NO_THIRD_PARTIES = (0.0,) * 5


def _one(matrix: np.ndarray = P) -> np.ndarray:
    return np.repeat(matrix[None], 10, axis=0)


def test_without_levers_the_paths_follow_the_chains_k_step_and_stationary_distributions() -> None:
    runs = 20_000
    paths = simulate_paths(_one(), 1, horizon=200, runs=runs, seed=3, third_party_hazard=NO_THIRD_PARTIES)
    for k in (1, 4, 13):
        expected = np.linalg.matrix_power(P, k)[1]
        got = np.bincount(paths.stages[:, k], minlength=5) / runs
        assert np.all(np.abs(got - expected) < 4 * np.sqrt(expected * (1 - expected) / runs) + 1e-9), k
    values, vectors = np.linalg.eig(P.T)
    stationary = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    stationary /= stationary.sum()
    late = np.bincount(paths.stages[:, 150:].ravel(), minlength=5) / paths.stages[:, 150:].size
    assert np.allclose(late, stationary, atol=0.01)


def test_a_planted_de_escalating_lever_lowers_reaching_stage_3_by_the_expected_amount() -> None:
    runs, horizon = 40_000, 26
    lever = Intervention("mediation", 4, np.log(0.5), 0.0, "planted: steps up half as likely")
    options = {"horizon": horizon, "runs": runs, "seed": 5, "third_party_hazard": NO_THIRD_PARTIES}
    without = summarise(simulate_paths(_one(), 1, **options), _one(), 1)
    with_lever = summarise(simulate_paths(_one(), 1, interventions=(lever,), **options), _one(), 1)
    factors = np.ones(horizon + 1)
    factors[5:] = 0.5
    expected_without = exact_reach(P[None], 1, 3, factors=np.ones(horizon + 1))[0, -1]
    expected_with = exact_reach(P[None], 1, 3, factors=factors)[0, -1]
    assert expected_with < expected_without - 0.1  # the planted effect is large
    se = np.sqrt(2 * 0.25 / runs)
    assert abs((without.reach3[-1] - with_lever.reach3[-1]) - (expected_without - expected_with)) < 4 * se
    assert abs(with_lever.reach3[-1] - expected_with) < 4 * with_lever.reach3_se[-1]
    assert np.allclose(with_lever.reach3_range[:, -1], expected_with)  # one matrix: no parameter spread


def test_same_seed_same_paths_and_miscalculation_only_adds_steps_up() -> None:
    a = simulate_paths(_one(), 0, horizon=30, runs=2000, seed=9)
    b = simulate_paths(_one(), 0, horizon=30, runs=2000, seed=9)
    assert np.array_equal(a.stages, b.stages) and np.array_equal(a.joined_week, b.joined_week)
    calm = summarise(simulate_paths(_one(), 0, horizon=30, runs=20_000, seed=2), _one(), 0)
    misread = summarise(
        simulate_paths(_one(), 0, horizon=30, runs=20_000, seed=2, miscalculation=0.05), _one(), 0, miscalculation=0.05
    )
    assert misread.reach3[-1] > calm.reach3[-1] + 0.05
    assert misread.reach3_range[0, -1] > calm.reach3_range[1, -1]


def test_transitions_are_counted_per_band_and_the_pooled_chain_is_their_sum() -> None:
    histories = pd.DataFrame(
        {
            "pair": ["A-B"] * 5 + ["C-D"] * 3,
            "week": [1, 2, 3, 4, 6, 1, 2, 3],
            "stage": [0, 1, 2, 2, 0, 3, 3, 4],
            "band": ["low", "elevated", "high", "high", "low", "low", "high", "low"],
        }
    )
    chain = count_transitions(histories, BANDS["events"])
    assert chain.counts[0, 0, 1] == 1 and chain.counts[1, 1, 2] == 1 and chain.counts[2, 2, 2] == 1
    assert chain.counts[0, 3, 3] == 1 and chain.counts[2, 3, 4] == 1
    assert chain.counts.sum() == 5  # week 4 → 6 is not a week-to-week transition
    pooled = StageChain(counts=chain.counts.sum(axis=0, keepdims=True), bands=("all",), prior=chain.prior)
    assert np.allclose(chain.matrix(None), pooled.matrix("all"))
    assert np.allclose(chain.matrix("high").sum(axis=1), 1)


def test_richardson_parameters_come_back_from_a_generated_race() -> None:
    rng = np.random.default_rng(1)
    k, a, g, l_, b, h = 0.3, 0.5, 2.0, 0.2, 0.4, 1.0
    x, y = [5.0], [3.0]
    for _ in range(59):
        x.append(x[-1] + k * y[-1] - a * x[-1] + g + rng.normal(0, 0.05))
        y.append(y[-1] + l_ * x[-2] - b * y[-1] + h + rng.normal(0, 0.05))
    model = fit_richardson(np.array(x), np.array(y), np.arange(1960, 2020))
    for name, true in {"k": k, "a": a, "g": g, "l": l_, "b": b, "h": h}.items():
        assert abs(getattr(model, name) - true) < max(4 * model.se[name], 0.05), name
    assert model.stable == (a * b > k * l_)


@pytest.mark.shared_data
def test_the_third_party_hazard_is_recomputed_from_icb(shared_data: Path) -> None:
    assert third_party_hazard(shared_data) == THIRD_PARTY_HAZARD


@pytest.mark.shared_data
@pytest.mark.slow
def test_the_published_simulator_backtest_still_holds(shared_data: Path, tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "series.duckdb", threads=2)
    series = shared_data / "gdelt_dyad_daily_2018_2024" / "dyad_daily_selected_2018_2024.csv"
    with open_store(settings) as con:
        ingest_paths(con, [str(series)], reader=SeriesReader("edge_weight"))
        histories = series_histories(con, settings, "edge_weight")
    result = backtest_simulator(histories, train_until=dt.date(2021, 1, 1))
    text = (DOCS / "evaluation.md").read_text(encoding="utf-8")
    published = re.search(r"<!-- simulate:series -->\n(.*?)<!-- /simulate:series -->", text, re.S)
    assert published and render_markdown(result) == published.group(1)


def test_simulate_command_on_the_demo_store(demo_db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    args = [
        "--db",
        str(demo_db),
        "simulate",
        "--dyad",
        "GEO-RUS",
        "--intervention",
        "mediation@4w",
        "--runs",
        "2000",
        "--seed",
        "7",
        "--format",
        "json",
        "--plot",
        str(tmp_path / "paths.svg"),
    ]
    first, second = runner.invoke(app, args), runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert first.output == second.output  # same seed, same result
    got = json.loads(first.output)
    assert got["pair"] == "GEO-RUS" and got["horizon"] == 26 and len(got["baseline"]["reach3"]) == 27
    assert got["interventions"][0]["lever"] == "mediation" and got["interventions"][0]["week"] == 4
    assert got["interventions"][0]["basis"].startswith("icb: serious_violence")
    assert got["arms_race"]["years"] == [1996, 2012]  # the bundled SIPRI figures published by May 2013
    assert got["coupling"]["gamma"] is None and got["pressure"] is None  # no steps up with spending data
    assert np.allclose(np.sum(got["with_levers"]["distribution"], axis=1), 1)
    svg = (tmp_path / "paths.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "GEO-RUS" in svg
    bad = runner.invoke(app, ["--db", str(demo_db), "simulate", "--dyad", "GEO-RUS", "--intervention", "prayer@2w"])
    assert bad.exit_code != 0 and "no lever named 'prayer'" in str(bad.exception)


@pytest.mark.shared_data
def test_the_allies_who_could_join_are_the_atop_defence_pacts(shared_data: Path) -> None:
    from flashpoint.simulate.third_parties import defence_allies

    year, allies = defence_allies(shared_data, ("GEO", "RUS"))
    assert year == 2018 and allies["GEO"] == []
    assert allies["RUS"] == ["ARM", "AZE", "BLR", "KAZ", "KGZ", "TJK", "UZB"]  # COW 370-373, 702-705 in ATOP 2018


def test_the_spending_coupling_comes_back_from_planted_histories() -> None:
    from flashpoint.simulate.arms_race import fit_coupling

    rng = np.random.default_rng(11)
    rows, growth = [], []
    for p in range(60):
        pair = f"A{p:02d}-B{p:02d}"
        yearly = {year: rng.normal(0, 0.3) for year in range(2000, 2011)}
        growth += [{"pair": pair, "year": y, "growth": g} for y, g in yearly.items()]
        stage = 0
        for week in range(1565, 2085):  # 2000-01 to 2009-12, in weeks from 1970-01-05
            year = (pd.Timestamp("1970-01-05") + pd.Timedelta(weeks=week)).year
            rows.append({"pair": pair, "week": week, "stage": stage})
            up = stage < 4 and rng.random() < 1 / (1 + np.exp(3.0 - 2.0 * yearly[year]))
            stage = stage + 1 if up else 0
    coupling = fit_coupling(pd.DataFrame(rows), pd.DataFrame(growth))
    assert coupling.steps_up > 100 and abs(coupling.gamma - 2.0) < 4 * coupling.se
    quiet = fit_coupling(pd.DataFrame(rows).assign(stage=0), pd.DataFrame(growth))
    assert quiet.gamma is None and quiet.note.startswith("not estimated: 0 steps up")
