"""Gaps in the store's data: runs of empty days amid busy ones, and what they do to the
indicators, their baselines, the change detection, the forecast panel and the simulation's
weekly histories."""

from __future__ import annotations

import datetime as dt

import hypothesis
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flashpoint.config import Settings
from flashpoint.escalation.changes import detect_changes
from flashpoint.forecasts import event_panel
from flashpoint.forecasts.event_panel import build_event_panel
from flashpoint.indicators.baselines import MIN_BASELINE
from flashpoint.indicators.compute import compute_indicators
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.simulate.chain import event_histories, week_number
from flashpoint.store.connection import open_store
from flashpoint.store.coverage import GAP_MEDIAN, empty_runs, gap_days, gap_periods

MARCH = [dt.date(2020, 3, 1) + dt.timedelta(days=i) for i in range(31)]


def _add(
    settings: Settings,
    first: str,
    last: str,
    per_day: int,
    *,
    code: str = "042",
    pair: tuple[str, str] = ("CHN", "USA"),
    skip: tuple[str, str] | None = None,
    source: str = "test",
) -> None:
    """``per_day`` events of ``code`` between ``pair`` from ``source`` on every day from ``first``
    to ``last`` (but those ``skip`` spans)."""
    skipped = f"AND NOT day BETWEEN DATE '{skip[0]}' AND DATE '{skip[1]}'" if skip else ""
    with open_store(settings) as con:
        con.execute(
            f"""
INSERT INTO events BY NAME
SELECT ? || ':' || ? || ':' || day || ':' || n AS event_id, ? AS source, day AS event_date,
       ? AS actor1_iso3, ? AS actor2_iso3, ? AS pair, c.cameo_code, c.cameo_root, c.quad_class, c.goldstein,
       'machine' AS coding, 0 AS ingest_id
FROM (SELECT CAST(unnest(generate_series(DATE '{first}', DATE '{last}', INTERVAL 1 DAY)) AS DATE) AS day),
     range({per_day}) AS r(n), cameo_codes c
WHERE c.cameo_code = ? {skipped}""",
            [source, "-".join(pair) + code, source, *pair, "-".join(sorted(pair)), code],
        )


def test_empty_days_amid_busy_days_are_gaps(settings: Settings) -> None:
    _add(settings, "2020-01-01", "2020-06-30", GAP_MEDIAN, skip=("2020-03-01", "2020-03-31"))
    with open_store(settings, read_only=True) as con:
        assert gap_days(con) == MARCH
        assert gap_periods(con, "month") == [dt.date(2020, 3, 1)]
        # Weeks run Monday to Sunday: those of 2, 9, 16 and 23 March lie wholly in the gap.
        assert gap_periods(con, "week") == [dt.date(2020, 3, d) for d in (2, 9, 16, 23)]
        assert gap_periods(con, "day") == MARCH and gap_periods(con, "year") == []


def test_a_store_with_few_events_a_day_has_no_gaps(settings: Settings) -> None:
    # Below the median, empty days are ordinary: one event a day, then a quiet month, then more.
    _add(settings, "2020-01-01", "2020-06-30", GAP_MEDIAN - 1, skip=("2020-03-01", "2020-03-31"))
    with open_store(settings, read_only=True) as con:
        assert gap_days(con) == []


def test_only_the_days_before_a_run_decide_whether_it_is_a_gap(settings: Settings) -> None:
    # Quiet before March, busy after it: the empty March is not a gap, whatever follows.
    _add(settings, "2020-01-01", "2020-02-29", 1)
    _add(settings, "2020-04-01", "2020-06-30", 50)
    with open_store(settings, read_only=True) as con:
        assert gap_days(con) == []
    # A busy month before it makes it one; the 31 empty days lie between the first and last event.
    _add(settings, "2020-02-01", "2020-02-29", GAP_MEDIAN, pair=("FRA", "DEU"))
    with open_store(settings, read_only=True) as con:
        assert gap_days(con) == MARCH


def test_the_silence_of_the_source_that_carries_the_store_is_a_gap(settings: Settings) -> None:
    # GDELT-like volume stops in March while a small source goes on; the small source stops in May.
    _add(settings, "2020-01-01", "2020-06-30", 3 * GAP_MEDIAN, skip=("2020-03-01", "2020-03-31"), source="big")
    _add(settings, "2020-01-01", "2020-06-30", GAP_MEDIAN, pair=("GEO", "RUS"), skip=("2020-05-01", "2020-05-31"), source="small")
    with open_store(settings, read_only=True) as con:
        assert gap_days(con) == MARCH  # May is not: the small source carried a quarter of the events
        pairs = compute_indicators(con, IndicatorQuery(freq="month"))
        alone = compute_indicators(con, IndicatorQuery(freq="month", dyad=("GEO", "RUS")))
    # GEO-RUS had events in March, from the small source alone: no count of the month, in either view.
    assert dt.date(2020, 3, 1) not in set(pairs.period) | set(alone.period)
    assert dt.date(2020, 5, 1) in set(alone.period)  # a month of zeros for it, not a gap


def test_a_gap_is_no_period_of_a_pair_and_no_part_of_its_baseline(settings: Settings) -> None:
    _add(settings, "2020-01-01", "2020-06-30", GAP_MEDIAN, skip=("2020-03-01", "2020-03-31"))
    # One pair's accusations: one a week in January, February, April and May; three a week in June.
    for first, last in (("2020-01-01", "2020-02-29"), ("2020-04-01", "2020-05-31")):
        _add(settings, first, last, 1, code="112", pair=("GEO", "RUS"))
    _add(settings, "2020-06-01", "2020-06-30", 3, code="112", pair=("GEO", "RUS"))
    with open_store(settings, read_only=True) as con:
        frame = compute_indicators(con, IndicatorQuery(freq="month", dyad=("GEO", "RUS")))
    rhetoric = frame[frame.indicator == "rhetoric"].set_index("period")
    assert dt.date(2020, 3, 1) not in rhetoric.index and len(rhetoric) == 5
    baseline = rhetoric.value.iloc[:MIN_BASELINE]  # January, February, April, May: no zero for March
    assert (baseline > 0).all()
    variance = max(baseline.var(ddof=1), baseline.mean(), 1.0)
    expected = (rhetoric.value.iloc[-1] - baseline.mean()) / np.sqrt(variance)
    assert rhetoric.z.iloc[-1] == pytest.approx(expected)


def test_a_gap_leaves_the_change_detection_where_it_was() -> None:
    # A gap week is skipped: the probabilities after it are those of the series without it.
    weeks = pd.date_range("2020-01-06", periods=12, freq="W-MON").date
    index = [0.2, 0.3, 0.1, 0.2, 0.3, 0.2, 2.5, 2.8, 3.0, 2.9, 3.1]

    def scores(periods: list[dt.date]) -> pd.DataFrame:
        return pd.DataFrame({"pair": "GEO-RUS", "period": periods, "escalation_index": index, "stage": 0})

    options = {"freq": "week", "hazard_periods": 52, "recent": 2, "probability": 0.5}
    skipped = detect_changes(scores([*weeks[:5], *weeks[6:]]), gaps=[weeks[5]], **options)
    through = detect_changes(scores(list(weeks[:11])), **options)
    zero_filled = detect_changes(scores([*weeks[:5], *weeks[6:]]), **options)
    assert np.allclose(skipped.change_probability[5:], through.change_probability[5:], equal_nan=True)
    assert list(skipped.change_point) == list(through.change_point)
    assert not np.allclose(zero_filled.change_probability[5:], through.change_probability[5:], equal_nan=True)


def test_a_gap_month_is_no_row_of_the_panel_and_no_target_and_its_weeks_no_transition(settings: Settings) -> None:
    _add(settings, "2019-10-01", "2020-07-31", GAP_MEDIAN, skip=("2020-03-01", "2020-03-31"))
    with open_store(settings, read_only=True) as con:
        panel = build_event_panel(con, settings, horizon=2)
        weeks = event_histories(con, settings)
        gap_weeks = set(week_number(pd.Series(pd.to_datetime(gap_periods(con, "week")))))
    months = {str(p)[:7]: row for p, row in zip(panel.period, panel.itertuples())}
    assert "2020-03" not in months and {"2020-02", "2020-04"} <= set(months)
    # Looking two months ahead: January and February would see March, so their targets are unknown.
    assert [m for m, row in months.items() if pd.isna(row.stage2)] == ["2020-01", "2020-02", "2020-06", "2020-07"]
    assert len(gap_weeks) == 4 and not gap_weeks & set(weeks.week)


def test_a_gap_cannot_undo_a_stage_observed_beside_it() -> None:
    # Months 0-7 of one pair, month 5 a gap; looking two months ahead, months 3 and 4 see it.
    stages = [0, 0, 0, 0, 3, np.nan, 0, 0]
    frame = pd.DataFrame({"pair": "GEO-RUS", "month": range(8), "stage": stages})
    targets = event_panel._targets(frame, 2, 7, [5])
    # Month 3 looks at 4 (stage 3) and the gap: it reached stage 3 whatever the gap held; month 4
    # looks at the gap and 6 (stage 0): not known. Months 6 and 7 look past the store's last month.
    assert targets.stage3.fillna(-1).tolist() == [0.0, 0.0, 1.0, 1.0, -1, 0.0, -1, -1]
    # Month 3's highest stage ahead is only bounded from below: missing.
    assert targets.stage_ahead.fillna(-1).tolist() == [0.0, 0.0, 3.0, -1, -1, 0.0, -1, -1]


def _days(blocks: list[tuple[int, int]]) -> np.ndarray:
    """Daily counts from stretches of days at one level each, with events on the first and last day."""
    return np.array([1.0] + [float(level) for length, level in blocks for _ in range(length)] + [1.0])


stretches = st.lists(st.tuples(st.integers(1, 45), st.sampled_from([0, 0, 3, 12, 40])), min_size=2, max_size=12)


@hypothesis.settings(max_examples=300, deadline=None)
@given(blocks=stretches, other=stretches, cut=st.integers(1, 500))
def test_whether_days_are_a_gap_never_depends_on_later_days(
    blocks: list[tuple[int, int]], other: list[tuple[int, int]], cut: int
) -> None:
    # One source's stretches of days at one level each (none, few, many events a day) beside
    # another's, cut on a day t with events: the store as it was on t has the whole store's
    # gaps before t.
    counts = _days(blocks)
    total = counts + np.resize(_days(other), len(counts))
    cut = min(cut, len(counts) - 1)
    hypothesis.assume(counts[cut] > 0)
    whole, then = empty_runs(counts, total), empty_runs(counts[: cut + 1], total[: cut + 1])
    assert then == [(start, end) for start, end in whole if end <= cut]
