"""What escalation would bring to a pair, from the past escalations most like it (docs/consequences.md).

The analogues of a pair at a stage are the dyadic disputes of :func:`episode_table` that reached
the stage's hostility level (stage 3, limited use of force: level 4 or 5; stage 4, war: level 5),
whose outcomes were known by the date (their last outcome year before the date's year), and whose
pair resembled this one in the onset year: the same contiguity, the same band of capability ratio
(balanced, uneven, lopsided), major powers among them or not, and a defence pact between them or
not. When fewer than :data:`MIN_ANALOGUES` match, the criteria are dropped from the last.

Each figure states its spread over the analogues: the median with the 10th–90th percentiles (the
range 80% of the analogues fell in) for amounts, the share with a 90% Wilson interval for
events; with the number of analogues that have the figure, its source and a caveat.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from flashpoint.config import Settings
from flashpoint.consequences.episodes import (
    AFTER_YEARS,
    episode_table,
    land_borders,
    people_abroad,
    read_table,
    state_iso3,
    structure_table,
)
from flashpoint.errors import InvalidInput
from flashpoint.events.countries import state_numbers
from flashpoint.pairs import pair_codes

#: The hostility levels (GML MID) that stand for each ladder stage reached.
STAGE_HOSTILITY: Final = {3: (4, 5), 4: (5,)}
#: Fewest analogues the matching keeps before dropping a criterion.
MIN_ANALOGUES: Final = 10
#: Capability-ratio bands: log(stronger CINC / weaker) below log 3, below log 10, above.
CAPABILITY_BANDS: Final = (math.log(3), math.log(10))
#: The MID fatality levels in words.
FATALITY_LEVELS: Final = {0: "none", 1: "1–25", 2: "26–100", 3: "101–250", 4: "251–500", 5: "501–999", 6: "1,000 or more"}
Z_90: Final = 1.6449
#: What is at stake that a lever can answer (levers.toml ``stakes``): name → the figure that signals it.
STAKE_SIGNALS: Final = {"displacement": "refugees_after", "third_powers": "major_joined"}
_SIGNAL_WORDS: Final = {"displacement": "refugees a year", "third_powers": "a major power joined"}
#: Fewer analogues with a figure than this, and the figure says it is an anecdote.
FEW: Final = 5


@dataclass(frozen=True)
class FigureSpec:
    """A consequence: the analogue table's ``column`` it summarises, and how it is read."""

    key: str
    label: str
    column: str
    unit: str
    source: str
    caveat: str = ""
    #: An event (0/1): its share with a Wilson interval; else an amount: median and 10th–90th percentiles.
    event: bool = False
    #: What followed the onset (backtested); False for what stands beside it (before, a base rate).
    outcome: bool = True


#: The consequences, in the order they are shown.
FIGURES: Final = (
    FigureSpec("fatality_level", "deaths in the dispute (MID fatality level)", "fatality", "level", "GML MID 2.2.1"),
    FigureSpec("war_deaths", "battle deaths of the two states in the war", "war_deaths", "deaths", "COW inter-state wars 4.0"),
    FigureSpec("duration_days", "duration of the dispute", "days", "days", "GML MID 2.2.1"),
    FigureSpec("became_war", "became a war (hostility level 5)", "became_war", "share", "GML MID 2.2.1", event=True),
    FigureSpec(
        "refugees_after",
        f"refugees and asylum seekers leaving the two states per year, onset year and {AFTER_YEARS - 1} after",
        "refugees_after",
        "people a year",
        "UNHCR flows",
        "registered arrivals only; UNHCR flows begin in 1962 and are sparse before the 1990s",
    ),
    FigureSpec(
        "refugees_to_neighbours",
        "the share of them that went to a land neighbour of the state they left (not the adversary)",
        "refugees_to_neighbours",
        "share",
        "UNHCR flows, COW contiguity",
        "registered arrivals only",
    ),
    FigureSpec(
        "refugees_before", "the same, in the three years before", "refugees_before", "people a year", "UNHCR flows", outcome=False
    ),
    FigureSpec(
        "neighbour_onset",
        f"a new armed conflict in a land neighbour within {AFTER_YEARS} years",
        "neighbour_onset",
        "share",
        "UCDP onsets (peacesciencer), COW contiguity",
        event=True,
    ),
    FigureSpec(
        "world_onset_rate",
        "the same for any state in those years (the base rate)",
        "world_onset_rate",
        "share",
        "UCDP onsets",
        outcome=False,
    ),
    FigureSpec(
        "trade_change",
        "change in the pair's trade, year after against year before",
        "trade_change",
        "change",
        "COW dyadic trade 4.0",
        "COW trade ends in 2014",
    ),
    *(
        FigureSpec(
            f"growth_change_{side}",
            f"change in the {side} state's GDP growth, three years from onset against three before",
            f"growth_change_{side}",
            "percentage points",
            "World Bank WDI",
            "from 1961 only; stronger and weaker by COW CINC",
        )
        for side in ("stronger", "weaker")
    ),
    *(
        FigureSpec(
            f"spending_change_{side}",
            f"change in the {side} state's military spending, three years from onset against three before",
            f"spending_change_{side}",
            "change",
            "COW NMC 6.0",
            "stronger and weaker by COW CINC",
        )
        for side in ("stronger", "weaker")
    ),
    FigureSpec("others_joined", "other states joined the dispute", "others_joined", "share", "GML MID participants", event=True),
    FigureSpec(
        "ally_joined",
        "a defence-pact ally of either side joined",
        "ally_joined",
        "share",
        "GML MID participants, ATOP",
        event=True,
    ),
    FigureSpec(
        "major_joined",
        "a major power besides the two joined",
        "major_joined",
        "share",
        "GML MID participants, COW majors",
        event=True,
    ),
)
#: The figures that are events (a share with its interval), not amounts.
EVENTS: Final = frozenset(spec.key for spec in FIGURES if spec.event)


@dataclass(frozen=True)
class Figure:
    """One consequence: its value over the analogues with its spread."""

    key: str
    label: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    unit: str
    source: str
    caveat: str = ""


@dataclass(frozen=True)
class Consequences:
    """What followed the analogues of a pair reaching a stage, and what is at stake for the pair now."""

    pair: str
    stage: int
    as_of: dt.date
    analogues: int
    criteria: tuple[str, ...]
    figures: tuple[Figure, ...]
    neighbours: dict[str, tuple[str, ...]] = field(default_factory=dict)
    allies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    major_allies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    trade_at_stake: float | None = None
    trade_year: int | None = None
    displaced: dict[str, tuple[int, float]] = field(default_factory=dict)
    #: Where each side's refugees and asylum seekers were at the end of the latest year known
    #: (UNHCR stocks): that year and the :data:`RECEIVERS` largest hosts with their numbers.
    receivers: dict[str, tuple[int, tuple[tuple[str, float], ...]]] = field(default_factory=dict)
    #: The stronger of the two by COW CINC in the latest year known, and that year (what "the stronger
    #: state" of the growth and spending figures is for this pair); None when unknown.
    stronger: tuple[str, int] | None = None
    #: Each analogue: its MID dispute number, pair (ISO3, or COW numbers), onset year and hostility level.
    cases: tuple[dict[str, object], ...] = ()
    #: The stakes of :data:`STAKE_SIGNALS` these analogues signal (name → why): their refugees or their
    #: share of major powers joining above those of every dispute at the stage known by then.
    signals: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {**asdict(self), "as_of": self.as_of.isoformat()}


def stage_up(stage: int | None, /) -> int:
    """The stage a pair's consequences are estimated for: 3 from below it (or with no stage), else 4."""
    return 3 if stage is None or stage < 3 else 4


def _band(ratio: float) -> str:
    return "balanced" if ratio < CAPABILITY_BANDS[0] else "uneven" if ratio < CAPABILITY_BANDS[1] else "lopsided"


def _wilson(hits: int, n: int) -> tuple[float, float]:
    p, z2 = hits / n, Z_90**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_90 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _few(n: int, caveat: str) -> str:
    """The caveat, with a warning first when fewer than :data:`FEW` analogues have the figure."""
    warning = f"only {n} analogue{'s' if n > 1 else ''} with this figure: an anecdote, not a distribution" if n < FEW else ""
    return "; ".join(part for part in (warning, caveat) if part)


def _amount(spec: FigureSpec, values: pd.Series) -> Figure:
    found = values.dropna()
    if found.empty:
        return _without(spec)
    low, mid, high = np.percentile(found, [10, 50, 90])
    spread = (float(mid), float(low), float(high))
    return Figure(spec.key, spec.label, *spread, len(found), spec.unit, spec.source, _few(len(found), spec.caveat))


def _share(spec: FigureSpec, values: pd.Series) -> Figure:
    found = values.dropna()
    if found.empty:
        return _without(spec)
    low, high = _wilson(int(found.sum()), len(found))
    spread = (float(found.mean()), low, high)
    return Figure(spec.key, spec.label, *spread, len(found), spec.unit, spec.source, _few(len(found), spec.caveat))


def _without(spec: FigureSpec) -> Figure:
    """The figure when no analogue has it."""
    caveat = spec.caveat or "no analogue has this figure"
    return Figure(spec.key, spec.label, None, None, None, 0, spec.unit, spec.source, caveat)


def pair_structure(data_dir: Path, a: tuple[int, ...], b: tuple[int, ...], year: int) -> pd.Series | None:
    """The pair's structure in the latest year up to ``year`` the panel has (None when it has none)."""
    by_pair = _structure_by_pair(Path(data_dir))
    found = [by_pair[key] for x in a for y in b if (key := (min(x, y), max(x, y))) in by_pair]
    rows = pd.concat(found) if found else pd.DataFrame()
    rows = rows[rows["year"] <= year] if len(rows) else rows
    return None if rows.empty else rows.sort_values("year").iloc[-1]


@cache
def _structure_by_pair(data_dir: Path, /) -> dict[tuple[int, int], pd.DataFrame]:
    return {(int(a), int(b)): rows for (a, b), rows in structure_table(data_dir).groupby(["a", "b"], sort=False)}


def select_analogues(
    episodes: pd.DataFrame, /, *, stage: int, known_by: int, structure: pd.Series | None
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The episodes at the stage's hostility levels whose outcomes were known by year ``known_by``
    (their last outcome year at most it) most like the pair's ``structure`` (see the module
    documentation), and the criteria they share with it."""
    candidates = episodes[episodes["hostlev"].isin(STAGE_HOSTILITY[stage]) & (episodes["year"] + AFTER_YEARS <= known_by)]
    mine = structure
    if mine is None:
        return candidates, ()
    tests = {
        f"{'contiguous' if mine['contiguous'] else 'not contiguous'}": candidates["contiguous"] == mine["contiguous"],
        f"capability ratio {_band(mine['log_capability_ratio'])}": candidates["log_capability_ratio"].map(
            _band, na_action="ignore"
        )
        == _band(mine["log_capability_ratio"]),
        f"{'with' if mine['major_powers'] else 'no'} major power": (candidates["major_powers"] > 0) == (mine["major_powers"] > 0),
        f"{'with' if mine['defense_pact'] else 'no'} defence pact between them": candidates["defense_pact"]
        == mine["defense_pact"],
    }
    names = list(tests)
    while names:
        chosen = np.logical_and.reduce([tests[n].to_numpy() for n in names])
        if chosen.sum() >= MIN_ANALOGUES:
            return candidates[chosen], tuple(names)
        names.pop()
    return candidates, ()


def summarise_analogues(analogues: pd.DataFrame, stage: int, /) -> tuple[Figure, ...]:
    """Each consequence of :data:`FIGURES` over the analogues (a war's share only from stage 3)."""
    return tuple(
        (_share if spec.event else _amount)(spec, analogues[spec.column])
        for spec in FIGURES
        if not (spec.key == "became_war" and stage == 4)
    )


def _neighbours(data_dir: Path, codes: dict[str, tuple[int, ...]], year: int) -> dict[str, tuple[str, ...]]:
    land = land_borders(data_dir)
    land = land[land["first"] <= year]
    land = land[land["last"] >= min(year, int(land["last"].max()))]  # the borders of the table's last year stand after it
    near = {side: land[land["ccode1"].isin(mine)]["host"].dropna() for side, mine in codes.items()}
    return {side: tuple(sorted(set(found) - set(codes))) for side, found in near.items()}


def _allies(data_dir: Path, codes: dict[str, tuple[int, ...]], year: int) -> tuple[dict, dict]:
    atop = read_table(data_dir, "atop")
    atop = atop[(atop["atop_defense"] == 1) & (atop["year"] <= year)]
    latest = int(atop["year"].max()) if len(atop) else year
    atop = atop[atop["year"] == latest]
    majors = read_table(data_dir, "cow_majors")
    major_codes = set(
        majors[(majors["styear"] <= latest) & (majors["endyear"] >= min(latest, majors["endyear"].max()))]["ccode"].astype(int)
    )
    allies, major_allies = {}, {}
    for side, mine in codes.items():
        partners = atop[atop["ccode1"].isin(mine)]["ccode2"].astype("int64")
        named = state_iso3(partners)
        allies[side] = tuple(sorted(set(named.dropna()) - set(codes)))
        major_allies[side] = tuple(sorted(set(named[partners.isin(major_codes)].dropna()) - set(codes)))
    return allies, major_allies


def _trade_at_stake(data_dir: Path, a: tuple[int, ...], b: tuple[int, ...], year: int) -> tuple[float | None, int | None]:
    trade = read_table(data_dir, "cow_trade")
    rows = trade[
        ((trade["ccode1"].isin(a) & trade["ccode2"].isin(b)) | (trade["ccode1"].isin(b) & trade["ccode2"].isin(a)))
        & (trade["year"] <= year)
    ]
    rows = rows[(rows["smoothflow1"] >= 0) & (rows["smoothflow2"] >= 0)]
    if rows.empty:
        return None, None
    last = rows.sort_values("year").iloc[-1]
    return float(last["smoothflow1"] + last["smoothflow2"]), int(last["year"])


def _signals(figures: tuple[Figure, ...], episodes: pd.DataFrame, stage: int, known_by: int) -> dict[str, str]:
    """The stakes the analogues signal: refugees (their median) above the median of every dispute at the
    stage known then; major powers joining (the lower end of the share's interval) above that share."""
    every, _ = select_analogues(episodes, stage=stage, known_by=known_by, structure=None)
    base = {f.key: f for f in summarise_analogues(every, stage)} if len(every) else {}
    found = {}
    for name, key in STAKE_SIGNALS.items():
        mine, typical = next((f for f in figures if f.key == key), None), base.get(key)
        if mine is None or typical is None or mine.value is None or typical.value is None or mine.n < FEW:
            continue
        above = mine.low > typical.value if key in EVENTS else mine.value > typical.value
        if above:
            found[name] = (
                f"{_SIGNAL_WORDS[name]} {shown(mine, mine.value)} in {mine.n} analogues, "
                f"{shown(typical, typical.value)} in all stage-{stage} disputes"
            )
    return found


def _cases(analogues: pd.DataFrame, /) -> tuple[dict[str, object], ...]:
    """The analogues, newest first, as an analyst checks them against the MID narratives."""
    rows = analogues.sort_values(["year", "dispnum"], ascending=False)
    return tuple(
        {
            "dispute": int(r.dispnum),
            "pair": f"{r.iso3_a if isinstance(r.iso3_a, str) else r.a}-{r.iso3_b if isinstance(r.iso3_b, str) else r.b}",
            "year": int(r.year),
            "hostility": int(r.hostlev),
        }
        for r in rows.itertuples()
    )


#: How many host countries of each side's refugees are named.
RECEIVERS: Final = 3


def _receivers(data_dir: Path, states: tuple[str, str], year: int) -> dict[str, tuple[int, tuple[tuple[str, float], ...]]]:
    """Each state's largest hosts of its refugees and asylum seekers at the end of the latest year up
    to ``year`` (UNHCR stocks); a state with none is left out."""
    stocks = read_table(data_dir, "unhcr_stocks")
    stocks = stocks[stocks["coo_iso"].isin(states) & (stocks["year"] <= year) & (stocks["coa_iso"] != stocks["coo_iso"])]
    stocks = stocks.assign(people=people_abroad(stocks))
    found = {}
    for origin, rows in stocks[stocks["people"] > 0].groupby("coo_iso"):
        latest = int(rows["year"].max())
        hosts = rows[rows["year"] == latest].nlargest(RECEIVERS, "people")
        found[origin] = (latest, tuple((str(h), float(p)) for h, p in zip(hosts["coa_iso"], hosts["people"])))
    return found


def _stronger(data_dir: Path, codes: dict[str, tuple[int, ...]], year: int) -> tuple[str, int] | None:
    """The state with the larger COW CINC in the latest year up to ``year`` both have one, and that year."""
    nmc = read_table(data_dir, "cow_nmc").dropna(subset=["cinc"])
    nmc = nmc[nmc["year"] <= year]
    found = {side: nmc[nmc["ccode"].isin(mine)].groupby("year")["cinc"].max() for side, mine in codes.items()}
    common = sorted(set.intersection(*(set(series.index) for series in found.values())))
    if not common:
        return None
    latest = common[-1]
    return max(found, key=lambda side: found[side][latest]), int(latest)


def _displaced(data_dir: Path, states: tuple[str, str], year: int) -> dict[str, tuple[int, float]]:
    """Each state's people internally displaced by conflict (IDMC stock) in the latest year up to ``year``."""
    idmc = read_table(data_dir, "idmc")
    rows = idmc[idmc["ISO3"].isin(states) & (idmc["Year"] <= year)].dropna(subset=["Conflict Stock Displacement"])
    latest = rows.sort_values("Year").groupby("ISO3").tail(1)
    stock = latest["Conflict Stock Displacement"]
    return {iso3: (int(y), float(people)) for iso3, y, people in zip(latest["ISO3"], latest["Year"], stock)}


def pair_consequences(pair: str, /, *, stage: int, data_dir: Path, as_of: dt.date | None = None) -> Consequences:
    """What followed past escalations like the pair's, had it reached ``stage``.

    Parameters
    ----------
    pair
        'ARM-AZE', the codes in alphabetical order.
    stage
        3 (limited use of force) or 4 (war).
    data_dir
        A folder laid out like the shared data (``peacesciencer/``, ``consequences/``).
    as_of
        Only outcomes known by this day are read (default: today).

    Returns
    -------
    Consequences
        The figures over the analogues, with the criteria they were matched on, the pair's land
        neighbours, defence-pact allies (and the major powers among them) and its trade at stake.

    Raises
    ------
    InvalidInput
        For a stage other than 3 or 4, a folder without the tables, or a country with no COW number.
    """
    if stage not in STAGE_HOSTILITY:
        raise InvalidInput(f"stage {stage}: consequences are estimated for stage 3 (use of force) or 4 (war).")
    as_of = as_of or dt.date.today()
    first, second = pair_codes(pair)
    codes = {iso3: state_numbers(iso3, "cow") for iso3 in (first, second)}
    for iso3, found in codes.items():
        if not found:
            raise InvalidInput(f"{iso3} has no Correlates of War state number: no analogue can be matched to it.")
    mine = pair_structure(Path(data_dir), codes[first], codes[second], as_of.year - 1)
    episodes = episode_table(Path(data_dir))
    analogues, criteria = select_analogues(episodes, stage=stage, known_by=as_of.year - 1, structure=mine)
    note = "" if mine is not None else "the pair's structure is not in the tables: every dispute at the stage is an analogue"
    if analogues.empty:
        note = f"no past dispute reached stage {stage} with outcomes known by {as_of}: nothing to compare"
    year = as_of.year - 1
    allies, major_allies = _allies(Path(data_dir), codes, year)
    trade, trade_year = _trade_at_stake(Path(data_dir), codes[first], codes[second], year)
    return Consequences(
        pair=pair,
        stage=stage,
        as_of=as_of,
        analogues=len(analogues),
        criteria=criteria,
        figures=summarise_analogues(analogues, stage) if len(analogues) else (),
        neighbours=_neighbours(Path(data_dir), codes, year),
        allies=allies,
        major_allies=major_allies,
        trade_at_stake=trade,
        trade_year=trade_year,
        displaced=_displaced(Path(data_dir), (first, second), year),
        receivers=_receivers(Path(data_dir), (first, second), year),
        stronger=_stronger(Path(data_dir), codes, year),
        cases=_cases(analogues),
        signals=_signals(summarise_analogues(analogues, stage) if len(analogues) else (), episodes, stage, as_of.year - 1),
        note=note,
    )


def shown(figure: Figure, value: float | None, /) -> str:
    """A value of the figure as the analyst reads it: deaths, days and people as counts, shares
    and changes as percentages, fatality levels in words."""
    if value is None:
        return "—"
    return {
        "level": lambda v: FATALITY_LEVELS[int(round(v))],
        "share": lambda v: f"{v:.0%}",
        "change": lambda v: f"{v:+.0%}",
        "percentage points": lambda v: f"{v:+.1f} pp",
        "days": lambda v: f"{v:,.0f} days",
    }.get(figure.unit, lambda v: f"{v:,.0f}")(value)


def render_consequences_markdown(found: Consequences, /) -> str:
    """The consequences as Markdown: the analogues and their criteria, each figure with its range,
    count, source and caveat, then what is at stake for this pair."""
    stage = {3: "stage 3 (limited use of force)", 4: "stage 4 (war)"}[found.stage]
    lines = [f"# If {found.pair} reached {stage}: what followed comparable escalations", ""]
    if not found.analogues:
        return "\n".join([*lines, found.note, ""])
    criteria = ", ".join(found.criteria) or "none (every dispute at the stage)"
    lines += [
        f"{found.analogues} analogues: past disputes between two states at that level with outcomes known by "
        f"{found.as_of}, matched on {criteria}.{(' ' + found.note) if found.note else ''}",
        "",
        "| consequence | median or share | 80% of analogues / 90% interval | analogues | source | caveat |",
        "|---|---|---|---|---|---|",
    ]
    for f in found.figures:
        lines.append(
            f"| {f.label} | {shown(f, f.value)} | {shown(f, f.low)} to {shown(f, f.high)} | {f.n} | {f.source} | {f.caveat} |"
        )
    newest = "; ".join(f"{c['pair']} {c['year']} (MID {c['dispute']})" for c in found.cases[:5])
    lines += ["", f"Most recent analogues: {newest}.", "", "What is at stake for this pair:", ""]
    if found.stronger is not None:
        lines.append(f"- the stronger of the two (COW CINC, {found.stronger[1]}): {found.stronger[0]}")
    for side, near in found.neighbours.items():
        lines.append(f"- {side}'s land neighbours: {', '.join(near) or 'none'}")
    for side, allies in found.allies.items():
        majors = found.major_allies.get(side, ())
        lines.append(
            f"- {side}'s defence-pact allies (ATOP): {', '.join(allies) or 'none'}"
            + (f"; major powers among them: {', '.join(majors)}" if majors else "")
        )
    for side, (year, hosts) in found.receivers.items():
        near = set(found.neighbours.get(side, ()))
        named = ", ".join(f"{h}{' (a neighbour)' if h in near else ''} {p:,.0f}" for h, p in hosts)
        lines.append(f"- {side}'s refugees and asylum seekers abroad, end of {year}, largest hosts: {named} (UNHCR)")
    for side, (year, people) in found.displaced.items():
        lines.append(f"- people internally displaced by conflict in {side}, {year}: {people:,.0f} (IDMC)")
    if found.trade_at_stake is not None:
        lines.append(f"- their trade in {found.trade_year}: US$ {found.trade_at_stake:,.0f} million (COW, both ways)")
    return "\n".join([*lines, ""])


#: The consequences a brief or a pair page shows at each stage, in their order.
STAKES: Final = {
    3: ("became_war", "refugees_after", "neighbour_onset", "major_joined"),
    4: ("war_deaths", "refugees_after", "neighbour_onset", "major_joined"),
}


def stakes_summary(settings: Settings, pair: str, stage: int | None, as_of: dt.date, /) -> dict[str, object]:
    """What is at stake one stage up from ``stage`` (3 from below it, 4 from 3 or 4), for a brief or
    a page: a few figures over the pair's analogues as known on ``as_of``, or why there are none.

    Returns
    -------
    dict
        ``stakes_stage``, ``stakes`` (a line per figure, with its spread, count and source) and
        ``stakes_note`` (the analogues' count and criteria, or why there is nothing to show).
    """
    up = stage_up(stage)
    if settings.reference_data is None:
        return {"stakes_stage": up, "stakes_note": "no consequence data: set reference_data (docs/consequences.md)"}
    try:
        found = pair_consequences(pair, stage=up, data_dir=settings.reference_data, as_of=as_of)
    except InvalidInput as exc:
        return {"stakes_stage": up, "stakes_note": str(exc)}
    if not found.analogues:
        return {"stakes_stage": up, "stakes_note": found.note}
    figures = {f.key: f for f in found.figures if f.value is not None}
    lines = [
        f"{f.label}: {shown(f, f.value)} ({shown(f, f.low)} to {shown(f, f.high)}; {f.n} analogues; {f.source})"
        + (" — an anecdote, not a distribution" if f.n < FEW else "")
        for key in STAKES[up]
        if (f := figures.get(key))
    ]
    if found.trade_at_stake is not None:
        lines.append(f"their trade in {found.trade_year}: US$ {found.trade_at_stake:,.0f} million (COW)")
    note = f"{found.analogues} analogue disputes, matched on {', '.join(found.criteria) or 'nothing'}"
    return {"stakes_stage": up, "stakes": lines, "stakes_note": note}
