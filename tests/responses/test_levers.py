"""The lever catalogue, its documentation, and the ranking of levers for a pair's state."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from flashpoint.errors import InvalidInput
from flashpoint.responses.catalogue import Lever, _check, get_lever, levers, ranking_rules, render_levers_markdown
from flashpoint.responses.ranking import PairState, published_evidence, rank_levers

DOCS = Path(__file__).resolve().parents[2] / "docs"
COMMUNICATION = {"talks", "hotline", "mediation"}


def test_docs_levers_is_rendered_from_the_catalogue() -> None:
    assert (DOCS / "levers.md").read_text(encoding="utf-8") == render_levers_markdown()
    assert len(levers()) == 10 and get_lever("mediation").evidence[0].base == "icb"
    with pytest.raises(InvalidInput, match="no lever named 'prayer'"):
        get_lever("prayer")


def test_a_catalogue_entry_with_a_bad_field_is_named() -> None:
    good = get_lever("talks")
    with pytest.raises(InvalidInput, match="lever 'talks' in levers.toml: answers 'vibes'"):
        _check(Lever(**{**good.__dict__, "answers": ("vibes",)}))
    with pytest.raises(InvalidInput, match="measure 'telepathy'"):
        _check(Lever(**{**good.__dict__, "measures": ("telepathy",)}))


def test_an_active_communication_breakdown_ranks_communication_levers_first() -> None:
    state = PairState(
        pair="GEO-RUS",
        as_of=dt.date(2013, 5, 31),
        stage=2,
        stage_name="coercive signalling",
        patterns={"breakdown": "breakdown 3.4 SD above the pair's baseline (week of 2013-05-20)"},
    )
    ranked = rank_levers(state, published_evidence())
    top = [r.lever for r in ranked[:3]]
    assert set(top) == COMMUNICATION, [(r.lever, r.points) for r in ranked]
    talks = next(r for r in ranked if r.lever == "talks")
    assert talks.reasons[0] == "answers breakdown: breakdown 3.4 SD above the pair's baseline (week of 2013-05-20) (+2)"
    assert "stage 2 (coercive signalling) is one it fits (+1)" in talks.reasons
    quiet = rank_levers(
        PairState(pair="GEO-RUS", as_of=dt.date(2013, 5, 31), stage=2, stage_name="coercive signalling", patterns={}),
        published_evidence(),
    )
    assert {r.lever for r in quiet[:3]} != COMMUNICATION  # the pattern, not the catalogue order, put them first


def test_evidence_moves_a_lever_by_its_declared_points() -> None:
    state = PairState(pair="A-B", as_of=dt.date(2020, 1, 1), stage=3, stage_name="limited use of force", patterns={})
    evidence = pd.DataFrame(
        {
            "lever": ["humanitarian"],
            "base": ["icb"],
            "outcome": ["war"],
            "better": ["lower"],
            "effect": [-0.2],
            "low": [-0.3],
            "high": [-0.1],
            "n_treated": [50],
            "n_control": [50],
            "verdict": ["favourable"],
        }
    )
    with_evidence = {r.lever: r for r in rank_levers(state, evidence)}
    without = {r.lever: r for r in rank_levers(state, evidence.iloc[:0])}
    assert with_evidence["humanitarian"].points == without["humanitarian"].points + 1
    assert "favourable evidence on war (+1)" in with_evidence["humanitarian"].reasons
    assert without["humanitarian"].evidence == ["no evidence base"]


def test_what_is_at_stake_raises_the_levers_that_answer_it_with_the_reason_shown() -> None:
    calm = PairState(pair="A-B", as_of=dt.date(2020, 1, 1), stage=3, stage_name="limited use of force", patterns={})
    staked = PairState(
        pair="A-B",
        as_of=dt.date(2020, 1, 1),
        stage=3,
        stage_name="limited use of force",
        patterns={},
        stakes={"displacement": "refugees: 40,000 over 20 analogues, against 2,588", "third_powers": "major powers: 60%"},
    )
    before = {r.lever: r for r in rank_levers(calm, published_evidence())}
    after = {r.lever: r for r in rank_levers(staked, published_evidence())}
    for lever, stake in (("humanitarian", "displacement"), ("alliances", "third_powers"), ("multilateral", "third_powers")):
        assert after[lever].points == before[lever].points + ranking_rules().stakes_points
        assert any(reason.startswith(f"answers what is at stake ({stake}): ") for reason in after[lever].reasons)
    assert after["mediation"].points == before["mediation"].points  # a lever that answers no stake


@pytest.mark.shared_data
def test_the_pair_consequences_signal_the_stakes_the_ranking_reads(shared_data: Path) -> None:
    from flashpoint.consequences.analogues import pair_consequences

    found = pair_consequences("IND-PAK", stage=3, data_dir=shared_data, as_of=dt.date(2024, 1, 1))
    # Disputes like India's and Pakistan's drove more people from their states than disputes in general.
    assert set(found.signals) == {"displacement"} and "in all stage-3 disputes" in found.signals["displacement"]
    calm = pair_consequences("ARM-AZE", stage=3, data_dir=shared_data, as_of=dt.date(2024, 1, 1))
    assert calm.signals == {}  # a stake is signalled by the analogues, not given to every pair
