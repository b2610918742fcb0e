"""Monte Carlo paths of a pair up and down the escalation ladder, with and without levers.

Each run walks the fitted weekly chain (:mod:`flashpoint.simulate.chain`) from the pair's
current stage. Runs are split into batches, each with its own transition matrix drawn from
the posterior, so the spread between batches is the parameter uncertainty and the spread
within them the Monte Carlo error. Per week, in this order:

1. **interventions** active from their week on multiply the probabilities of every step up
   by a relative risk drawn for the run from the lever's evidence (or given by the analyst);
   a joined third party multiplies them by ``ally_factor``; the rest of the row is rescaled;
2. the next stage is drawn from the row;
3. **miscalculation**: with probability ``miscalculation`` a side misreads the other's move
   and takes an unintended step up;
4. **third parties**: a third state joins (once) with the weekly hazard of the new stage.

Everything is vectorised over runs (NumPy), one Python step per week. Same seed, same result.
The 5–95% range over parameter draws is computed exactly per drawn matrix
(:func:`exact_reach`, interventions at their central effect, third parties left out), so it
is free of Monte Carlo noise.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from flashpoint.simulate.chain import N_STAGES

#: Weekly hazard that a third state joins, by stage: :func:`flashpoint.simulate.third_parties.
#: third_party_hazard` on ICB v14 (docs/simulate.md; a test recomputes it from the shared data).
THIRD_PARTY_HAZARD: Final = (0.0, 0.0427, 0.0427, 0.0343, 0.0333)
BATCHES: Final = 100


@dataclass(frozen=True)
class Intervention:
    """A lever applied from ``week`` on, multiplying steps up by a relative risk drawn from a
    log-normal (``log_rr`` mean and ``log_rr_sd``); ``basis`` says where the effect came from."""

    lever: str
    week: int
    log_rr: float
    log_rr_sd: float
    basis: str


@dataclass(frozen=True)
class Paths:
    """Simulated stages (runs × weeks + 1, week 0 the start), each run's batch, and whether and
    when a third party joined (week, or -1)."""

    stages: np.ndarray
    batch: np.ndarray
    joined_week: np.ndarray
    interventions: tuple[Intervention, ...] = field(default=())


def _tilt(rows: np.ndarray, state: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Rows with their steps up multiplied by ``factor`` (capped so they sum below 1) and the
    stay-or-fall part rescaled to fill the rest."""
    up = np.arange(N_STAGES)[None, :] > state[:, None]
    ups = np.where(up, rows, 0.0) * factor[:, None]
    total_up = ups.sum(axis=1)
    scale = np.where(total_up > 0.999, 0.999 / np.maximum(total_up, 1e-12), 1.0)
    ups *= scale[:, None]
    rest = np.where(up, 0.0, rows)
    rest *= ((1.0 - ups.sum(axis=1)) / np.maximum(rest.sum(axis=1), 1e-12))[:, None]
    return ups + rest


def simulate_paths(
    matrices: np.ndarray,
    start: int,
    /,
    *,
    horizon: int,
    runs: int,
    seed: int,
    interventions: tuple[Intervention, ...] = (),
    miscalculation: float = 0.0,
    third_party_hazard: tuple[float, ...] = THIRD_PARTY_HAZARD,
    ally_factor: float = 1.0,
) -> Paths:
    """``runs`` paths of ``horizon`` weeks from stage ``start``; ``matrices`` holds one transition
    matrix per batch (batches × 5 × 5), run r using batch r mod batches."""
    rng = np.random.default_rng(seed)
    batch = np.arange(runs) % len(matrices)
    rr = [np.exp(rng.normal(i.log_rr, i.log_rr_sd, runs)) for i in interventions]
    hazard = np.asarray(third_party_hazard, dtype="float64")
    stages = np.empty((runs, horizon + 1), dtype=np.int8)
    stages[:, 0] = start
    joined = np.full(runs, -1, dtype=np.int32)
    state = np.full(runs, start, dtype=np.int64)
    for week in range(1, horizon + 1):
        factor = np.where(joined >= 0, ally_factor, 1.0)
        for i, effect in zip(interventions, rr):
            if week > i.week:
                factor = factor * effect
        rows = _tilt(matrices[batch, state], state, factor)
        nxt = (rng.random(runs)[:, None] > np.cumsum(rows, axis=1)).sum(axis=1).clip(max=N_STAGES - 1)
        if miscalculation > 0:
            nxt = np.where(rng.random(runs) < miscalculation, np.minimum(nxt + 1, N_STAGES - 1), nxt)
        joins = (joined < 0) & (rng.random(runs) < hazard[nxt])
        joined[joins] = week
        state = nxt
        stages[:, week] = state
    return Paths(stages=stages, batch=batch, joined_week=joined, interventions=interventions)


@dataclass(frozen=True)
class Summary:
    """Per week: P(stage ≥ 3 reached by then) and P(stage 4 reached), each with its Monte Carlo
    standard error and the 5–95% range over parameter draws (2 × weeks + 1); the stage distribution; the most
    common paths; P(a third party joined by the horizon)."""

    reach3: np.ndarray
    reach3_se: np.ndarray
    reach3_range: np.ndarray
    reach4: np.ndarray
    reach4_se: np.ndarray
    reach4_range: np.ndarray
    distribution: np.ndarray
    common_paths: list[tuple[str, float]]
    third_party: float


def week_factors(interventions: tuple[Intervention, ...], horizon: int, /) -> np.ndarray:
    """Each week's relative risk of a step up from the interventions at their central effect."""
    factors = np.ones(horizon + 1)
    for i in interventions:
        factors[i.week + 1 :] *= np.exp(i.log_rr)
    return factors


def exact_reach(
    matrices: np.ndarray, start: int, level: int, /, *, factors: np.ndarray, miscalculation: float = 0.0
) -> np.ndarray:
    """For each matrix (batches × 5 × 5), the exact probability of having reached ``level`` by
    each week (batches × weeks + 1), with the weekly step-up ``factors`` and miscalculation
    (third parties left out)."""
    n = len(matrices)
    dist = np.zeros((n, N_STAGES))
    dist[:, start] = 1.0
    reached = np.zeros((n, len(factors)))
    reached[:, 0] = float(start >= level)
    states = np.arange(N_STAGES)
    for week in range(1, len(factors)):
        step = np.stack([_tilt(m, states, np.full(N_STAGES, factors[week])) for m in matrices])
        if miscalculation > 0:
            shifted = np.concatenate([np.zeros((n, N_STAGES, 1)), step[:, :, :-1]], axis=2)
            shifted[:, :, -1] += step[:, :, -1]
            step = (1 - miscalculation) * step + miscalculation * shifted
        step[:, level:, :] = 0.0
        step[:, level:, level] = 1.0  # having reached the level is absorbing
        dist = np.einsum("bi,bij->bj", dist, step)
        reached[:, week] = dist[:, level:].sum(axis=1)
    return reached


def _reached(stages: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray]:
    hit = np.maximum.accumulate(stages >= level, axis=1)
    p = hit.mean(axis=0)
    return p, np.sqrt(p * (1 - p) / len(stages))


def summarise(paths: Paths, matrices: np.ndarray, start: int, /, *, miscalculation: float = 0.0, top: int = 5) -> Summary:
    """What the analyst reads from the paths (see :class:`Summary`); the parameter ranges come
    from :func:`exact_reach` over ``matrices``."""
    s = paths.stages
    factors = week_factors(paths.interventions, s.shape[1] - 1)
    r3, r3se = _reached(s, 3)
    r4, r4se = _reached(s, 4)
    ranges = {
        level: np.percentile(exact_reach(matrices, start, level, factors=factors, miscalculation=miscalculation), [5, 95], axis=0)
        for level in (3, 4)
    }
    distribution = np.stack([(s == k).mean(axis=0) for k in range(N_STAGES)], axis=1)
    changes = np.concatenate([np.ones((len(s), 1), bool), s[:, 1:] != s[:, :-1]], axis=1)
    counts = Counter("→".join(map(str, row[keep])) for row, keep in zip(s, changes))
    common = [(path, n / len(s)) for path, n in counts.most_common(top)]
    return Summary(
        reach3=r3,
        reach3_se=r3se,
        reach3_range=ranges[3],
        reach4=r4,
        reach4_se=r4se,
        reach4_range=ranges[4],
        distribution=distribution,
        common_paths=common,
        third_party=float((paths.joined_week >= 0).mean()),
    )
