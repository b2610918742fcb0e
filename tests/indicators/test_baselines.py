"""The compiled trailing baselines against the definition: a pair's series made dense (its
periods without incidents as zeros, the gaps in the data as missing) and a plain rolling mean
and variance over it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashpoint.indicators import baselines
from flashpoint.indicators.baselines import MIN_BASELINE, with_z_scores

NAMES = ["first", "second"]


def dense_z(
    periods: dict[int, tuple[float, float]], width: int, gaps: frozenset[int] = frozenset()
) -> dict[int, tuple[float | None, ...]]:
    """Per listed period, each series' z-score computed on the dense series with pandas."""
    start, end = min(periods), max(periods)
    dense = pd.DataFrame(
        [(np.nan, np.nan) if i in gaps else periods.get(i, (0.0, 0.0)) for i in range(start, end + 1)],
        columns=NAMES,
        index=range(start, end + 1),
    )
    window = dense.rolling(width, min_periods=1)
    mean, var = window.mean().shift(1), window.var(ddof=1).shift(1)
    known = dense[NAMES[0]].notna().rolling(width, min_periods=1).sum().shift(1).fillna(0)
    out = {}
    for i in periods:
        if known[i] < MIN_BASELINE:
            out[i] = (None, None)
            continue
        floor = np.maximum(np.maximum(var.loc[i], mean.loc[i]), 1.0)
        out[i] = tuple((dense.loc[i] - mean.loc[i]) / np.sqrt(floor))
    return out


values = st.floats(0, 30, allow_nan=False).map(lambda v: round(v, 2))
pair_series = st.dictionaries(st.integers(0, 80), st.tuples(values, values), min_size=1, max_size=40)


def table_of(series: list[dict[int, tuple[float, float]]]) -> pa.Table:
    rows = [(f"P{p:02d}", i, *series[p][i]) for p in range(len(series)) for i in sorted(series[p])]
    return pa.table(
        {
            "pair": [r[0] for r in rows],
            "idx": [r[1] for r in rows],
            "first_value": [r[2] for r in rows],
            "second_value": [r[3] for r in rows],
        }
    )


@settings(max_examples=150, deadline=None)
@given(
    series=st.lists(pair_series, min_size=1, max_size=4),
    width=st.integers(MIN_BASELINE, 15),
    gaps=st.frozensets(st.integers(0, 80), max_size=12),
)
def test_z_scores_are_those_of_the_dense_series(series, width: int, gaps: frozenset[int]) -> None:  # noqa: ANN001
    # A gap in the store's data is no period of any pair (it has no events) and no part of a baseline.
    series = [kept for periods in series if (kept := {i: v for i, v in periods.items() if i not in gaps})]
    if not series:
        return
    scored = with_z_scores(table_of(series), NAMES, width, gaps=np.array(sorted(gaps))).to_pylist()
    at = 0
    for periods in series:
        expected = dense_z(periods, width, gaps)
        for i in sorted(periods):
            row = scored[at]
            at += 1
            assert row["idx"] == i
            for name, want in zip(NAMES, expected[i]):
                got = row[f"{name}_z"]
                assert (got is None) == (want is None), (name, i, got, want)
                if want is not None:
                    assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(series=st.lists(pair_series, min_size=1, max_size=6), width=st.integers(MIN_BASELINE, 15))
def test_the_two_threaded_pass_gives_the_same_scores(series, width: int) -> None:  # noqa: ANN001
    table = table_of(series)
    alone = with_z_scores(table, NAMES, width)
    original = baselines.PARALLEL_ROWS
    baselines.PARALLEL_ROWS = 0
    try:
        split = with_z_scores(table, NAMES, width)
    finally:
        baselines.PARALLEL_ROWS = original
    assert split.equals(alone)


def test_an_empty_table_gets_empty_scores() -> None:
    empty = pa.table(
        {
            "pair": pa.array([], pa.string()),
            "idx": pa.array([], pa.int64()),
            "first_value": pa.array([], pa.float64()),
            "second_value": pa.array([], pa.float64()),
        }
    )
    scored = with_z_scores(empty, NAMES, 12)
    assert scored.num_rows == 0 and scored.column_names[-2:] == ["first_z", "second_z"]
