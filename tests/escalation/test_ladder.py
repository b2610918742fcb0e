"""Index, ladder stage and change detection on tiny literal tables; timelines on the demo store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from flashpoint.config import Settings
from flashpoint.escalation.changes import change_probabilities, detect_changes
from flashpoint.escalation.ladder import WEIGHTED, Z_CAP, contributions, ladder_stage, pair_ladders
from flashpoint.store.connection import open_store

SETTINGS = Settings(db="unused.duckdb")


def _profile(total: int, force: int = 0, coercion: int = 0, rhetoric: int = 0) -> dict:
    return {"total": total, "force_incidents": force, "coercion_incidents": coercion, "rhetoric_incidents": rhetoric}


def test_stage_follows_the_event_profile_and_scales_with_the_period() -> None:
    frame = pd.DataFrame(
        [
            _profile(100),  # nothing hostile: stable
            _profile(100, rhetoric=20),  # 20% rhetoric: verbal hostility
            _profile(100, rhetoric=20, coercion=16),  # coercion 16%: coercive signalling
            _profile(100, force=10, coercion=30),  # force 10%: limited use of force
            _profile(100, force=30),  # 30 force incidents, 30%: major armed conflict
            _profile(100, force=24),  # 24 < 25 per week: limited only
            _profile(10, force=2),  # 20% but only 2 < 3 incidents: stable
            _profile(0),  # no incidents at all
        ]
    )
    assert ladder_stage(frame, SETTINGS, "week").tolist() == [0, 1, 2, 3, 4, 3, 0, 0]
    # A month needs about 4.35 times the weekly counts: 10 force incidents (< 13) are not limited
    # use of force there (the coercion makes it stage 2), and 30 (< 109) are not major.
    assert ladder_stage(frame, SETTINGS, "month").tolist() == [0, 1, 2, 2, 3, 3, 0, 0]


def test_index_weights_sum_to_one_count_the_escalating_side_and_are_capped() -> None:
    assert abs(sum(abs(i.index_weight) for i in WEIGHTED) - 1.0) < 1e-9
    zeros = {f"{i.name}_z": 0.0 for i in WEIGHTED}
    frame = pd.DataFrame(
        [
            {**zeros, "force_z": 2.0},
            {**zeros, "force_z": -3.0},
            {**zeros, "engagement_z": -2.0},
            {**zeros, "engagement_z": 2.0},
            {**zeros, "rhetoric_z": 50.0},
            {**zeros, "proxy_z": np.nan},
        ]
    )
    index = contributions(frame).sum(axis=1).round(9).tolist()
    assert index == [0.6, 0.0, 0.1, 0.0, 0.15 * Z_CAP, 0.0]


@hsettings(max_examples=30, deadline=None)
@given(arrays(np.float64, (3, 40), elements=st.floats(-5, 5)), st.integers(1, 39))
def test_change_probability_at_t_reads_nothing_after_t(values: np.ndarray, cut: int) -> None:
    full, expected_full = change_probabilities(values, hazard_periods=20, recent=2)
    part, expected_part = change_probabilities(values[:, :cut], hazard_periods=20, recent=2)
    assert np.allclose(full[:, :cut], part) and np.allclose(expected_full[:, :cut], expected_part)


def _scores(values: list[float], start: dt.date = dt.date(2020, 1, 6)) -> pd.DataFrame:
    periods = [start + dt.timedelta(weeks=i) for i in range(len(values))]
    return pd.DataFrame({"pair": "AAA-BBB", "period": periods, "escalation_index": values, "stage": 0})


def test_a_step_up_fires_one_change_point_where_it_happens_and_a_step_down_none() -> None:
    rng = np.random.default_rng(7)
    calm = list(np.abs(rng.normal(0, 0.2, 40)))
    up = detect_changes(_scores(calm + [3.0] * 10), freq="week", hazard_periods=52, recent=2, probability=0.5)
    assert up.index[up.change_point].tolist() == [40]
    down = detect_changes(_scores([3.0] * 40 + calm[:10]), freq="week", hazard_periods=52, recent=2, probability=0.5)
    assert not down.change_point.any()


def test_weeks_without_incidents_count_as_index_zero() -> None:
    # Ten weeks listed sparsely (weeks with incidents only): the gaps are filled with zeros, so
    # the jump in the last week is a change against zeros, not against the listed weeks alone.
    scores = _scores([0.1, 0.0, 3.0]).assign(period=[dt.date(2020, 1, 6), dt.date(2020, 2, 3), dt.date(2020, 3, 9)])
    found = detect_changes(scores, freq="week", hazard_periods=52, recent=2, probability=0.5)
    assert found.change_point.tolist() == [False, False, True]
    assert found.change_probability.notna().tolist() == [False, True, True]  # the first weeks have no history


def test_a_series_first_periods_have_no_change_probability() -> None:
    found = detect_changes(_scores([0.5, 0.4, 0.6, 0.5]), freq="week", hazard_periods=52, recent=2, probability=0.5)
    assert found.change_probability.isna().tolist() == [True, True, False, False]
    assert not found.change_point.any()


def test_pairs_computed_together_get_the_timelines_they_get_alone(demo_db: Path) -> None:
    # The API computes the timelines asked for meanwhile together; each must be the one its
    # pair gets alone: its own last period (not the latest of the others), the same scores.
    settings = Settings(db=demo_db)
    with open_store(settings, read_only=True) as con:
        pairs = tuple(
            r[0]
            for r in con.execute(
                "SELECT pair FROM events WHERE pair IS NOT NULL GROUP BY pair ORDER BY count(*) DESC LIMIT 12"
            ).fetchall()
        )
        for freq, since, until in [
            ("week", None, None),
            ("week", dt.date(2012, 6, 1), None),
            ("month", None, dt.date(2012, 12, 31)),
        ]:
            together = pair_ladders(con, settings, (*pairs, "ABW-ZWE"), freq=freq, since=since, until=until)
            ends = set()
            for pair in pairs:
                alone = pair_ladders(con, settings, (pair,), freq=freq, since=since, until=until)[pair]
                pd.testing.assert_frame_equal(together[pair], alone)
                ends.add(alone["period"].max())
            assert together["ABW-ZWE"].empty
            assert len(ends) > 1 or until is not None  # the pairs' last periods differ: the trim is tested
