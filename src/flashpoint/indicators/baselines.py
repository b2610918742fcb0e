"""Z-scores of the indicators against each pair's own trailing baseline.

The baseline of period t is the ``width`` periods before it, from the pair's first listed
period on; periods not listed (no incidents) count as zeros, so the baseline's mean and
variance come from sums over the listed periods inside the window. The variance is floored
at the mean and at 1 (counts vary at least as a Poisson count does), so one incident in a
quiet pair is not ten standard deviations. A z-score needs ``MIN_BASELINE`` earlier periods.

The windows are one compiled pass over the pair-periods sorted by pair and period, with
running sums: over the 4M pair-weeks of a 10M-event store that is 0.1–0.3 s, where SQL
windows (one segment tree per sum, two sums per indicator) took 7–8 s (docs/adr/017).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Fewest earlier periods a z-score needs.
MIN_BASELINE = 4
#: Pair-periods from which the z-scores are computed in two threads.
PARALLEL_ROWS = 100_000


@numba.njit(cache=True, nogil=True)
def _trailing_z(starts: np.ndarray, idx: np.ndarray, values: tuple[np.ndarray, ...], width: int,
                z: tuple[np.ndarray, ...], scored: np.ndarray) -> None:  # pragma: no cover - compiled
    """Fill ``z`` (one array per series, one value per pair-period) with each value's z-score
    against the same series' values of the pair's ``width`` periods before, and ``scored``
    with whether a pair-period has enough of them. Pair p's periods run from ``starts[p]`` to
    ``starts[p + 1]``, sorted by their period number ``idx``."""
    series = len(values)
    for p in range(len(starts) - 1):
        lo, hi = starts[p], starts[p + 1]
        if hi == lo:
            continue
        first = idx[lo]
        for i in range(lo, hi):
            scored[i] = min(width, idx[i] - first) >= MIN_BASELINE
        for c in range(series):
            value, score = values[c], z[c]
            s1 = 0.0
            s2 = 0.0
            j = lo
            for i in range(lo, hi):
                while idx[j] < idx[i] - width:  # leaves the window
                    s1 -= value[j]
                    s2 -= value[j] * value[j]
                    j += 1
                if j == i:  # an empty window sums to exactly zero
                    s1 = 0.0
                    s2 = 0.0
                n = min(width, idx[i] - first)
                if n >= MIN_BASELINE:
                    mean = s1 / n
                    var = max((s2 - s1 * s1 / n) / (n - 1), mean, 1.0)
                    score[i] = (value[i] - mean) / np.sqrt(var)
                else:
                    score[i] = 0.0  # masked
                s1 += value[i]
                s2 += value[i] * value[i]


def with_z_scores(table: pa.Table, names: list[str], width: int, /) -> pa.Table:
    """``table`` (``pair``, ``idx`` — consecutive period numbers — and ``<name>_value`` per
    name, sorted by pair and idx) with a column ``<name>_z`` appended per name, null where
    the baseline is too short.

    The pairs of a large table are split in two halves computed in parallel (the compiled
    pass releases the GIL).
    """
    rows = table.num_rows
    pair = table.column("pair")
    changes = pc.not_equal(pair.slice(1), pair.slice(0, max(rows - 1, 0)))
    starts = np.concatenate([[0], np.flatnonzero(changes.to_numpy(zero_copy_only=False)) + 1, [rows]]).astype(np.int64)
    # Each series as its own array, not stacked into one: fresh memory is what costs most here.
    # Writable arrays always (a column of one chunk is read-only and copied), so the compiled
    # pass has one signature.
    values = tuple(np.require(table.column(f"{name}_value").to_numpy(), np.float64, "W") for name in names)
    idx = table.column("idx").to_numpy().astype(np.int64, copy=False)
    z, scored = tuple(np.empty(rows) for _ in names), np.empty(rows, dtype=np.bool_)
    if rows < PARALLEL_ROWS:
        _trailing_z(starts, idx, values, int(width), z, scored)
    else:
        middle = int(np.searchsorted(starts, rows // 2))
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda part: _trailing_z(part, idx, values, int(width), z, scored),
                          (starts[:middle + 1], starts[middle:])))
    validity = pa.py_buffer(np.packbits(scored, bitorder="little"))
    for score, name in zip(z, names, strict=True):
        column = pa.Array.from_buffers(pa.float64(), rows, [validity, pa.py_buffer(score)])
        table = table.append_column(f"{name}_z", column)
    return table
