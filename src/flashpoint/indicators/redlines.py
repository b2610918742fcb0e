"""Red lines: declarative rules in TOML, checked per country pair and period.

A default set ships with Flashpoint (``indicators/data/redlines.toml``: first use of force
between the two states, aerial weapons, occupation, blockade, weapons of mass destruction);
the ``redlines_file`` setting adds the user's own rules (a rule with a default's name
replaces it). A pair crosses a rule in a period when at least ``min_incidents`` incidents
match it; each crossing is recorded in ``redline_crossings`` with the events that crossed it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from importlib.resources import files
from pathlib import Path

import duckdb
import ibis
import pandas as pd

from flashpoint.errors import InvalidInput
from flashpoint.events.cameo import cameo_codes
from flashpoint.events.confidence import CONFIDENT
from flashpoint.indicators.counting import compiled_sql, keyed_rows
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.store.connection import transaction

STATE_TYPES = ("GOV", "MIL", "COP")
#: Alert levels, lowest first.
ALERT_LEVELS = ("watch", "warning", "critical")


@dataclass(frozen=True)
class RedLine:
    """One rule (see the module documentation and docs/indicators.md)."""

    name: str
    description: str
    codes: tuple[str, ...]
    state_actors: bool = False
    places: tuple[str, ...] = ()
    min_incidents: int = 1
    min_sources: int = 1
    #: Rows below this event confidence (docs/events.md) do not cross the rule.
    min_confidence: float = CONFIDENT
    first: bool = False
    #: Alert level a crossing raises: watch, warning or critical.
    level: str = "warning"


_FIELDS = {f.name for f in fields(RedLine)}


def _rule(raw: object, origin: str, index: int) -> RedLine:
    if not isinstance(raw, dict):
        raise InvalidInput(f"red lines {origin}: rule {index} is not a table ([[rule]] with fields).")
    name = str(raw.get("name") or f"#{index}")
    where = f"red lines {origin}, rule '{name}'"
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise InvalidInput(f"{where}: unknown field '{unknown[0]}'; fields are {', '.join(sorted(_FIELDS))}.")
    for required in ("name", "description", "codes"):
        if not raw.get(required):
            raise InvalidInput(f"{where}: field '{required}' is missing or empty.")
    codes = raw["codes"]
    known = cameo_codes()
    if not isinstance(codes, list) or not all(isinstance(c, str) and c in known for c in codes):
        raise InvalidInput(f"{where}: field 'codes' must be a list of CAMEO codes as strings, e.g. [\"195\"]; got {codes!r}.")
    places = raw.get("places", [])
    if not isinstance(places, list) or not all(isinstance(p, str) and len(p) == 3 for p in places):
        raise InvalidInput(f"{where}: field 'places' must be a list of ISO3 codes, e.g. [\"UKR\"]; got {places!r}.")
    for number in ("min_incidents", "min_sources"):
        value = raw.get(number, 1)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidInput(f"{where}: field '{number}' must be a whole number of at least 1; got {value!r}.")
    if raw.get("level", "warning") not in ALERT_LEVELS:
        raise InvalidInput(f"{where}: field 'level' must be one of {', '.join(ALERT_LEVELS)}; got {raw['level']!r}.")
    confidence = raw.get("min_confidence", CONFIDENT)
    if not isinstance(confidence, (int, float)) or isinstance(confidence, bool) or not 0 <= confidence <= 1:
        raise InvalidInput(f"{where}: field 'min_confidence' must be a number from 0 to 1; got {confidence!r}.")
    for flag in ("state_actors", "first"):
        if not isinstance(raw.get(flag, False), bool):
            raise InvalidInput(f"{where}: field '{flag}' must be true or false; got {raw[flag]!r}.")
    return RedLine(
        name=name,
        description=str(raw["description"]),
        codes=tuple(codes),
        state_actors=raw.get("state_actors", False),
        places=tuple(p.upper() for p in places),
        min_incidents=raw.get("min_incidents", 1),
        min_sources=raw.get("min_sources", 1),
        min_confidence=float(confidence),
        first=raw.get("first", False),
        level=raw.get("level", "warning"),
    )


def parse_rules(text: str, origin: str) -> list[RedLine]:
    """Rules from TOML text; ``origin`` names the file in messages.

    Raises
    ------
    InvalidInput
        Naming the file, the rule and the field at fault.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"red lines {origin}: not valid TOML: {exc}.") from None
    extra = sorted(set(data) - {"rule"})
    if extra:
        raise InvalidInput(f"red lines {origin}: unknown table '{extra[0]}'; declare rules as [[rule]].")
    rules = [_rule(raw, origin, i) for i, raw in enumerate(data.get("rule", []), start=1)]
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise InvalidInput(f"red lines {origin}: rule names repeat: {sorted({n for n in names if names.count(n) > 1})}.")
    return rules


def load_rules(user_file: Path | None = None) -> list[RedLine]:
    """The default rules, with the user's file added (same name: the user's rule wins)."""
    default = files("flashpoint.indicators").joinpath("data/redlines.toml").read_text(encoding="utf-8")
    rules = {r.name: r for r in parse_rules(default, "(Flashpoint's defaults)")}
    if user_file is not None:
        try:
            text = Path(user_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"red lines file {user_file}: cannot read it: {exc.strerror}.") from None
        rules.update({r.name: r for r in parse_rules(text, str(user_file))})
    return list(rules.values())


def _crossings(events: ibis.Table, rules: tuple[RedLine, ...], query: IndicatorQuery) -> ibis.Table:
    """One expression: the crossings of every rule by pair and period (``rule`` names the rule)."""
    rows = keyed_rows(events, query)
    sources = rows.group_by(rows.cluster_id).agg(cluster_sources=rows.source.nunique())
    rows = rows.left_join(sources, rows.cluster_id == sources.cluster_id).select(rows, "cluster_sources")
    rows = rows.mutate(reported=ibis.greatest(rows.num_sources.fill_null(1), rows.cluster_sources.fill_null(1)))
    parts = []
    for rule in rules:
        matched = rows.filter(
            ibis.or_(*[rows.cameo_code.startswith(c) for c in rule.codes])
            & (rows.confidence.fill_null(1.0) >= rule.min_confidence)
        )
        if rule.state_actors:
            matched = matched.filter(
                (matched.actor1_type.isnull() | matched.actor1_type.isin(STATE_TYPES))
                & (matched.actor2_type.isnull() | matched.actor2_type.isin(STATE_TYPES))
            )
        if rule.places:
            matched = matched.filter(matched.location_iso3.isin(list(rule.places)))
        incidents = matched.group_by(["pair", "period", "incident"]).agg(
            reported=matched.reported.max(), first_date=matched.event_date.min(), event_ids=matched.event_id.collect()
        )  # ordered by check_rules (Spark cannot here)
        incidents = incidents.filter(incidents.reported >= rule.min_sources)
        parts.append(
            incidents.group_by(["pair", "period"])
            .agg(
                incidents=incidents.count(),
                first_date=incidents.first_date.min(),
                event_ids=incidents.event_ids.collect().flatten(),
            )
            .filter(ibis._.incidents >= rule.min_incidents)
            .mutate(rule=ibis.literal(rule.name))
        )
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def _firsts(con: duckdb.DuckDBPyConnection, crossings: pd.DataFrame, lookback_days: int) -> pd.DataFrame:
    """The crossings of ``first`` rules that are firsts: the pair had no crossing of the rule in
    the ``lookback_days`` before, and the store's events begin at least that long before (what
    came before a store's first day is unknown, so its first weeks cannot hold a first)."""
    start = con.execute("SELECT min(event_date) FROM events").fetchall()[0][0]
    if start is None or crossings.empty:
        return crossings.iloc[:0]
    ordered = crossings.sort_values("period")
    before = pd.to_datetime(ordered.groupby(["rule", "pair"])["period"].shift(1))
    period = pd.to_datetime(ordered["period"])
    window = pd.Timedelta(days=lookback_days)
    fresh = before.isna() | (period - before > window)
    covered = period - window >= pd.Timestamp(start)
    return ordered[fresh & covered]


def check_rules(
    con: duckdb.DuckDBPyConnection,
    rules: list[RedLine],
    query: IndicatorQuery,
    /,
    *,
    table: str = "events",
    first_lookback_days: int = 365,
) -> pd.DataFrame:
    """Crossings of ``rules`` by each pair (undirected unless the query is directed) and period,
    in the store's ``table`` (``events``, or a view of some of them). A rule declared ``first``
    counts a crossing only when the pair had none in the ``first_lookback_days`` before and the
    store covers them (:func:`_firsts`).

    Returns
    -------
    DataFrame: ``rule``, ``pair``, ``period``, ``incidents``, ``event_ids`` (the events that
    crossed it, by event id), ``first_date``.
    """
    columns = ["rule", "pair", "period", "incidents", "event_ids", "first_date"]
    if not rules:
        return pd.DataFrame(columns=columns)
    key = ("redlines", tuple(rules), replace(query, since=None))
    sql = compiled_sql(con, table, key, lambda events: _crossings(events, tuple(rules), query))
    result = con.sql(sql).to_arrow_table().to_pandas()
    for column in ("period", "first_date"):
        result[column] = pd.to_datetime(result[column]).dt.date
    firsts = {r.name for r in rules if r.first}
    if firsts and not result.empty:
        first = _firsts(con, result[result.rule.isin(firsts)], first_lookback_days)
        result = pd.concat([result[~result.rule.isin(firsts)], first], ignore_index=True)
    if query.since is not None and not result.empty:
        result = result[result.period >= pd.Timestamp(query.since).date()]
    if result.empty:
        return pd.DataFrame(columns=columns)
    result["event_ids"] = [sorted(ids) for ids in result.event_ids]
    return result.sort_values(["period", "pair", "rule"], ignore_index=True)[columns]


def record_crossings(con: duckdb.DuckDBPyConnection, crossings: pd.DataFrame, freq: str, /) -> int:
    """Store crossings in ``redline_crossings`` (replacing the same rule, pair, period and freq)."""
    if crossings.empty:
        return 0
    con.register("new_crossings", crossings.assign(freq=freq))
    try:
        with transaction(con):
            con.execute(
                "DELETE FROM redline_crossings r USING new_crossings n WHERE r.rule = n.rule "
                "AND r.pair = n.pair AND r.period = n.period AND r.freq = n.freq"
            )
            con.execute(
                "INSERT INTO redline_crossings SELECT rule, pair, freq, period, incidents, event_ids, "
                "first_date, localtimestamp FROM new_crossings"
            )
    finally:
        con.unregister("new_crossings")
    return len(crossings)
