"""A pair's scenario: the fitted chain from the store, its current stage, levers, and the arms race.

``simulate_pair`` fits the weekly chain to every pair's history in the store, starts from the
pair's current stage and index band, draws one transition matrix per batch (parameter
uncertainty), and runs the paths twice with the same random numbers: without and with the
interventions. A lever's effect comes from its evidence (docs/evidence.md): the relative risk
of escalation among situations with the lever against those without, with its interval, in
this order of preference — the store's own pair-months (``events``: a higher stage within 3
months), ICB crises (serious violence), UCDP episodes (recurrence within 2 years) — or from
the analyst (``mediation@4w:0.7``: steps up 30% less likely from week 4).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Final

import duckdb
import numpy as np
import pandas as pd

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.pairs import pair_codes
from flashpoint.responses.catalogue import get_lever
from flashpoint.responses.evidence import estimates_frame, levers_evidence
from flashpoint.responses.ranking import published_evidence
from flashpoint.simulate.arms_race import (
    Coupling,
    Richardson,
    fit_coupling,
    fit_richardson,
    project,
    read_spending,
    spending_growth,
)
from flashpoint.simulate.chain import (
    BANDS,
    count_transitions,
    event_histories,
    week_start,
)
from flashpoint.simulate.scenario import (
    BATCHES,
    Intervention,
    Summary,
    simulate_paths,
    summarise,
)
from flashpoint.store.queries import as_of_day

#: Evidence rows that stand for "escalation" in each base, in order of preference.
ESCALATION_OUTCOMES: Final = (("events", "escalated"), ("icb", "serious_violence"), ("ucdp", "recurred_2y"))
_SPEC = re.compile(r"^(?P<lever>[a-z_]+)@(?P<n>\d+)(?P<unit>[wm])(?::(?P<rr>[0-9.]+))?$")


@dataclass(frozen=True)
class PairSimulation:
    pair: str
    week_of: dt.date
    start_stage: int
    band: str
    horizon: int
    runs: int
    seed: int
    miscalculation: float
    matrix: np.ndarray
    baseline: Summary
    with_levers: Summary | None
    interventions: tuple[Intervention, ...]
    arms_race: Richardson | None
    arms_race_note: str
    projection: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    coupling: Coupling | None = None
    pressure: Intervention | None = None


def lever_relative_risk(lever: str, evidence: pd.DataFrame, /) -> tuple[float, float, str]:
    """Log relative risk of escalation with ``lever`` (mean, sd) and its basis, from the first
    usable row of :data:`ESCALATION_OUTCOMES`.

    Raises
    ------
    InvalidInput
        When the lever has no usable estimate, saying how to give the effect by hand.
    """
    for base, outcome in ESCALATION_OUTCOMES:
        rows = evidence[(evidence["lever"] == lever) & (evidence["base"] == base) & (evidence["outcome"] == outcome)]
        rows = rows[rows["effect"].notna() & (rows["control_rate"] > 0)]
        if rows.empty:
            continue
        r = rows.iloc[0]
        control = float(r["control_rate"])
        low, high = (max(control + float(v), 1e-3) / control for v in (r["low"], r["high"]))
        rr = max(float(r["treated_rate"]), 1e-3) / control
        basis = (
            f"{base}: {outcome} {r['treated_rate']:.1%} with against {control:.1%} without "
            f"(relative risk {rr:.2f}, {low:.2f}–{high:.2f}; {int(r['n_treated'])} with, {int(r['n_control'])} "
            "without)"
        )
        return math.log(rr), (math.log(high) - math.log(low)) / 3.92, basis
    raise InvalidInput(
        f"lever '{lever}' has no evidence of its effect on escalation; give it by hand as "
        f"{lever}@4w:0.8 (steps up 20% less likely from week 4)."
    )


def _spec(text: str) -> re.Match[str]:
    """The parts of an intervention ('mediation@4w', 'mediation@2m:0.7'), its lever known.

    Raises
    ------
    InvalidInput
        For another form or an unknown lever.
    """
    match = _SPEC.match(text.strip())
    if match is None:
        raise InvalidInput(
            f"--intervention {text!r}: expected LEVER@WEEKSw or LEVER@MONTHSm, optionally "
            ":RELATIVE_RISK, e.g. mediation@4w or mediation@2m:0.7."
        )
    get_lever(match["lever"])
    return match


def parse_intervention(text: str, evidence: pd.DataFrame, /) -> Intervention:
    """'mediation@4w' (effect from the evidence) or 'mediation@4w:0.7' (relative risk given)."""
    match = _spec(text)
    lever = match["lever"]
    week = int(match["n"]) * (1 if match["unit"] == "w" else 4)
    if match["rr"] is not None:
        rr = float(match["rr"])
        if rr <= 0:
            raise InvalidInput(f"--intervention {text!r}: the relative risk must be above 0.")
        return Intervention(lever, week, math.log(rr), 0.0, f"given: relative risk {rr:g} of a step up")
    log_rr, sd, basis = lever_relative_risk(lever, evidence)
    return Intervention(lever, week, log_rr, sd, basis)


def _pressure(model: Richardson | None, projection: np.ndarray, coupling: Coupling) -> Intervention | None:
    """The projected spending growth of next year as a factor on steps up (the coupling's
    log-odds, close to a log relative risk for rare steps), with its uncertainty."""
    if model is None or coupling.gamma is None or not len(projection):
        return None
    growth = float(projection[0].sum() / sum(model.last) - 1)
    return Intervention(
        "arms_race",
        0,
        coupling.gamma * growth,
        coupling.se * abs(growth),
        f"projected spending growth {growth:+.1%} next year; {coupling.note}",
    )


def _arms_race(  # noqa: ANN202
    con: duckdb.DuckDBPyConnection,
    pair: tuple[str, str],
    horizon_weeks: int,
    known_by: dt.date,
):
    spending = read_spending(con, pair, known_by=known_by)
    if len(spending) < 8:
        return (
            None,
            np.empty((0, 2)),
            (
                f"no arms-race fit: {len(spending)} common years of SIPRI spending for "
                f"{pair[0]} and {pair[1]} published by {known_by} in the store (ingest milex)"
            ),
        )
    model = fit_richardson(spending["x"].to_numpy(), spending["y"].to_numpy(), spending["year"].to_numpy())
    years = max(1, math.ceil(horizon_weeks / 52)) + 4
    note = (
        f"Richardson fit on {model.years[0]}–{model.years[1]} (US$ billion, constant 2021): "
        f"{'stable' if model.stable else 'unstable (runaway)'}; projected {years} years ahead"
    )
    return model, project(model, years), note


def _interventions(
    con: duckdb.DuckDBPyConnection, settings: Settings, texts: tuple[str, ...], until: dt.date | None
) -> tuple[Intervention, ...]:
    """The levers of ``texts`` (LEVER@4w or LEVER@4w:0.7), each effect from the published evidence
    or the store's own up to ``until``, the store's first."""
    evidence = published_evidence()
    if texts:
        chosen = [get_lever(name) for name in dict.fromkeys(_spec(text)["lever"] for text in texts)]
        own = levers_evidence(con, settings, chosen, bases=("events",), n_boot=200, until=until)
        evidence = pd.concat([estimates_frame(own), evidence], ignore_index=True)
    return tuple(parse_intervention(text, evidence) for text in texts)


def _last_week(histories: pd.DataFrame, pair: str, /) -> pd.Series:
    """The pair's last week of the event histories.

    Raises
    ------
    InvalidInput
        When the pair has none.
    """
    mine = histories[histories["pair"] == pair]
    if mine.empty:
        raise InvalidInput(
            f"simulate: no events between {pair.replace('-', ' and ')} in the store (check with 'flashpoint events --dyad')."
        )
    return mine.iloc[-1]


def _spending_pressure(
    con: duckdb.DuckDBPyConnection, histories: pd.DataFrame, pair: str, horizon_weeks: int, week_of: pd.Timestamp
) -> tuple[Richardson | None, np.ndarray, str, Coupling, Intervention | None]:
    """The pair's arms-race fit, its projection and note, the coupling of spending growth to steps
    up, and the pressure it puts on the run (:func:`_pressure`), from the spending published by
    the end of the week the run starts from: no look-ahead."""
    known_by = (week_of + pd.Timedelta(days=6)).date()
    model, projection, note = _arms_race(con, pair_codes(pair), horizon_weeks, known_by)
    coupling = fit_coupling(histories, spending_growth(con, known_by=known_by))
    return model, projection, note, coupling, _pressure(model, projection, coupling)


def simulate_pair(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    pair: str,
    /,
    *,
    horizon: int = 26,
    runs: int = 10_000,
    seed: int = 0,
    interventions: tuple[str, ...] = (),
    miscalculation: float = 0.0,
    ally_factor: float = 1.0,
    as_of: dt.date | None = None,
) -> PairSimulation:
    """Simulate ``pair`` ('GEO-RUS') ``horizon`` weeks ahead (see the module documentation), from
    its last week up to ``as_of`` (default: the store's last event), reading nothing after it.

    Raises
    ------
    InvalidInput
        For a pair without events, bad parameters, or a lever without evidence.
    """
    if not (1 <= horizon <= 520 and 100 <= runs <= 1_000_000 and 0 <= miscalculation < 1 and ally_factor > 0):
        raise InvalidInput("simulate: horizon 1–520 weeks, runs 100–1,000,000, miscalculation in [0, 1), ally factor above 0.")
    until = None if as_of is None else as_of_day(con, as_of)
    histories = event_histories(con, settings, until=until)
    now = _last_week(histories, pair)
    chain = count_transitions(histories, BANDS["events"])
    levers = _interventions(con, settings, interventions, until)
    matrices = chain.draw(now["band"], BATCHES, np.random.default_rng(seed))
    week_of = week_start(pd.Series([int(now["week"])])).iloc[0]
    model, projection, note, coupling, pressure = _spending_pressure(con, histories, pair, horizon, week_of)
    world = () if pressure is None else (pressure,)
    options = {"horizon": horizon, "runs": runs, "seed": seed + 1, "miscalculation": miscalculation, "ally_factor": ally_factor}
    start = int(now["stage"])

    def paths(given: tuple[Intervention, ...]) -> Summary:
        drawn = simulate_paths(matrices, start, interventions=given, **options)
        return summarise(drawn, matrices, start, miscalculation=miscalculation)

    return PairSimulation(
        pair=pair,
        week_of=week_of.date(),
        start_stage=start,
        band=str(now["band"]),
        horizon=horizon,
        runs=runs,
        seed=seed,
        miscalculation=miscalculation,
        matrix=chain.matrix(now["band"]),
        baseline=paths(world),
        with_levers=paths(world + levers) if levers else None,
        interventions=levers,
        arms_race=model,
        arms_race_note=note,
        projection=projection,
        coupling=coupling,
        pressure=pressure,
    )
