"""Z-scores of the indicators against each pair's own trailing baseline.

The baseline of period t is the ``width`` periods before it, from the pair's first listed
period on, less the gaps in the store's data (:mod:`flashpoint.store.coverage`), which count
for nothing; other periods not listed (no incidents) count as zeros, so the baseline's mean
and variance come from sums over the listed periods inside the window. The variance is floored
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
def _baseline_sizes(
    starts: np.ndarray, idx: np.ndarray, width: int, gaps: np.ndarray, sizes: np.ndarray
) -> None:  # pragma: no cover - compiled
    """Fill ``sizes`` with the number of periods in each pair-period's baseline: the ``width``
    periods before it from the pair's first on, less the ``gaps`` (sorted period numbers)."""
    for p in range(len(starts) - 1):
        lo, hi = starts[p], starts[p + 1]
        if hi == lo:
            continue
        first = idx[lo]
        for i in range(lo, hi):
            since = max(first, idx[i] - width)
            sizes[i] = idx[i] - since
            if gaps.size:
                sizes[i] -= np.searchsorted(gaps, idx[i]) - np.searchsorted(gaps, since)


@numba.njit(cache=True, nogil=True)
def _trailing_z(
    starts: np.ndarray, idx: np.ndarray, values: tuple[np.ndarray, ...], width: int, sizes: np.ndarray, z: tuple[np.ndarray, ...]
) -> None:  # pragma: no cover - compiled
    """Fill ``z`` (one array per series, one value per pair-period) with each value's z-score
    against the same series' values of the pair's ``width`` periods before, ``sizes`` of them
    counted (:func:`_baseline_sizes`). Pair p's periods run from ``starts[p]`` to
    ``starts[p + 1]``, sorted by their period number ``idx``."""
    series = len(values)
    for p in range(len(starts) - 1):
        lo, hi = starts[p], starts[p + 1]
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
                n = sizes[i]
                if n >= MIN_BASELINE:
                    mean = s1 / n
                    var = max((s2 - s1 * s1 / n) / (n - 1), mean, 1.0)
                    score[i] = (value[i] - mean) / np.sqrt(var)
                else:
                    score[i] = 0.0  # masked
                s1 += value[i]
                s2 += value[i] * value[i]


def with_z_scores(table: pa.Table, names: list[str], width: int, /, *, gaps: np.ndarray | None = None) -> pa.Table:
    """``table`` (``pair``, ``idx`` — consecutive period numbers — and ``<name>_value`` per
    name, sorted by pair and idx) with a column ``<name>_z`` appended per name, null where
    the baseline is too short. ``gaps`` are the period numbers of the store's gaps (none by
    default): left out of every baseline, and not rows of ``table``.

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
    gaps = np.zeros(0, dtype=np.int64) if gaps is None else np.sort(np.asarray(gaps, dtype=np.int64))
    z, sizes = tuple(np.empty(rows) for _ in names), np.zeros(rows, dtype=np.int64)

    def fill(part: np.ndarray) -> None:
        _baseline_sizes(part, idx, int(width), gaps, sizes)
        _trailing_z(part, idx, values, int(width), sizes, z)

    if rows < PARALLEL_ROWS:
        fill(starts)
    else:
        middle = int(np.searchsorted(starts, rows // 2))
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(fill, (starts[: middle + 1], starts[middle:])))
    validity = pa.py_buffer(np.packbits(sizes >= MIN_BASELINE, bitorder="little"))
    for score, name in zip(z, names, strict=True):
        column = pa.Array.from_buffers(pa.float64(), rows, [validity, pa.py_buffer(score)])
        table = table.append_column(f"{name}_z", column)
    return table
