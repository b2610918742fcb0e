"""A simulation as plain JSON-ready data."""

from __future__ import annotations

from dataclasses import asdict

from flashpoint.simulate.pair import PairSimulation
from flashpoint.simulate.scenario import Summary


def _summary(s: Summary) -> dict[str, object]:
    return {
        "reach3": s.reach3.tolist(),
        "reach3_se": s.reach3_se.tolist(),
        "reach3_range": s.reach3_range.tolist(),
        "reach4": s.reach4.tolist(),
        "reach4_se": s.reach4_se.tolist(),
        "reach4_range": s.reach4_range.tolist(),
        "distribution": s.distribution.tolist(),
        "common_paths": [{"path": p, "share": share} for p, share in s.common_paths],
        "third_party": s.third_party,
    }


def simulation_dict(result: PairSimulation, /) -> dict[str, object]:
    """Everything in ``result``, with arrays as lists (weeks from 0, the start, to the horizon)."""
    return {
        "pair": result.pair,
        "week_of": result.week_of.isoformat(),
        "start_stage": result.start_stage,
        "band": result.band,
        "horizon": result.horizon,
        "runs": result.runs,
        "seed": result.seed,
        "miscalculation": result.miscalculation,
        "matrix": result.matrix.tolist(),
        "baseline": _summary(result.baseline),
        "with_levers": None if result.with_levers is None else _summary(result.with_levers),
        "interventions": [asdict(i) for i in result.interventions],
        "arms_race": None if result.arms_race is None else result.arms_race.to_dict(),
        "arms_race_note": result.arms_race_note,
        "projection": result.projection.tolist(),
        "coupling": None if result.coupling is None else asdict(result.coupling),
        "pressure": None if result.pressure is None else asdict(result.pressure),
    }
