"""Any CSV of events, described by a small TOML mapping file → canonical events.

Analysts hold event tables in their own layouts. A mapping names, for each canonical field,
the file's column (or a constant), and the code system of each country column::

    source = "crisiswatch"          # the events' source name and id prefix
    coding = "human"                # or "machine"
    date_format = "%d/%m/%Y"        # optional; ISO dates by default

    [columns]                       # canonical field = the file's column
    event_id = "id"                 # optional: without it, the id is a hash of the row
    event_date = "date"
    actor1_country = "country_a"
    actor2_country = "country_b"
    event_type = "type"             # looked up in [event_types] (or give cameo_code)

    [code_systems]                  # iso3 (default), iso_numeric, gw, cow, cameo, fips, name
    actor1_country = "name"

    [event_types]                   # the file's event types → CAMEO codes
    "Armed clash" = "190"

    [constants]                     # canonical field = the same value for every row
    location_country = "UKR"

Every row is checked like any source: a bad date, an unknown event type or CAMEO code, or
a country that does not resolve is quarantined with its line and reason.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from flashpoint.errors import InvalidInput
from flashpoint.events.countries import CODE_SYSTEMS
from flashpoint.sources.tabular import (
    EVENTS,
    Layout,
    country_join,
    fields_cte,
    header_layout,
    invalid_when,
    iso3_join,
    scan_sql,
)
from flashpoint.sql import sql_string as _s

CITATION: Final = "Cite the data set your mapping describes; Flashpoint adds no data of its own here."
LICENSE: Final = "The licence of the data set your mapping describes."

#: Canonical fields a mapping can fill.
FIELDS: Final = (
    "event_id",
    "event_date",
    "actor1_country",
    "actor1_name",
    "actor1_type",
    "actor2_country",
    "actor2_name",
    "actor2_type",
    "event_type",
    "cameo_code",
    "fatalities",
    "location_country",
    "admin1",
    "lat",
    "lon",
    "source_url",
    "source_ref",
    "date_added",
)
_COUNTRIES: Final = ("actor1_country", "actor2_country", "location_country")


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file (see the module documentation)."""

    source: str
    coding: str
    columns: dict[str, str]
    constants: dict[str, str] = field(default_factory=dict)
    code_systems: dict[str, str] = field(default_factory=dict)
    event_types: dict[str, str] = field(default_factory=dict)
    date_format: str = "%Y-%m-%d"


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file.

    Raises
    ------
    InvalidInput
        Naming what is wrong: unknown fields or code systems, no date, no event type.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"mapping {path}: cannot read it as TOML: {exc}.") from None
    source = str(data.get("source", "")).strip().lower()
    if not source.isidentifier():
        raise InvalidInput(f"mapping {path}: 'source' must be a short name such as \"crisiswatch\", got {source!r}.")
    coding = str(data.get("coding", "human"))
    if coding not in ("human", "machine"):
        raise InvalidInput(f'mapping {path}: \'coding\' must be "human" or "machine", got {coding!r}.')
    columns = {k: str(v) for k, v in data.get("columns", {}).items()}
    constants = {k: str(v) for k, v in data.get("constants", {}).items()}
    systems = {k: str(v) for k, v in data.get("code_systems", {}).items()}
    unknown = sorted((set(columns) | set(constants)) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"mapping {path}: unknown field(s) {', '.join(unknown)}; fields are {', '.join(FIELDS)}.")
    bad = sorted(f"{k}={v}" for k, v in systems.items() if k not in _COUNTRIES or v not in (*CODE_SYSTEMS, "iso3"))
    if bad:
        raise InvalidInput(
            f"mapping {path}: bad code_systems entries {', '.join(bad)}: keys are "
            f"{', '.join(_COUNTRIES)}, systems iso3, {', '.join(CODE_SYSTEMS)}."
        )
    given = set(columns) | set(constants)
    if "event_date" not in given:
        raise InvalidInput(f"mapping {path}: say which column holds the date ([columns] event_date = ...).")
    if not given & {"event_type", "cameo_code"}:
        raise InvalidInput(f"mapping {path}: give cameo_code, or event_type with an [event_types] table.")
    return Mapping(
        source=source,
        coding=coding,
        columns=columns,
        constants=constants,
        code_systems=systems,
        event_types={str(k): str(v) for k, v in data.get("event_types", {}).items()},
        date_format=str(data.get("date_format", "%Y-%m-%d")),
    )


class MappedCsvReader:
    """A reader (the interface of the source modules) for CSV files described by a mapping."""

    TARGET = EVENTS
    scan_sql = staticmethod(scan_sql)

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping

    def detect_layout(self, path: Path, head: bytes, /, *, forced: str = "auto") -> Layout:
        """Layout of the file; every mapped column must be in its header."""
        first = next(iter(self.mapping.columns.values()), "")
        layout = header_layout(path, head, source=self.mapping.source, key=first)
        missing = sorted(set(self.mapping.columns.values()) - set(layout.columns))
        if missing:
            raise InvalidInput(
                f"{path}: the mapping names column(s) {', '.join(missing)}, which the file lacks; "
                f"its columns are {', '.join(layout.columns)}."
            )
        return layout

    def _value(self, name: str) -> str:
        if name in self.mapping.columns:
            return f"v.{name}"
        if name in self.mapping.constants:
            return _s(self.mapping.constants[name])
        return "CAST(NULL AS VARCHAR)"

    def _country(self, name: str, alias: str) -> tuple[str, str]:
        system = self.mapping.code_systems.get(name, "iso3")
        value = self._value(name)
        if system == "iso3":
            return f"{alias}.iso3", iso3_join(alias, value)
        code = (
            f"lower({value})"
            if system == "name"
            else (
                f"try_cast(try_cast(try_cast({value} AS DOUBLE) AS INTEGER) AS VARCHAR)"
                if system in ("gw", "cow", "iso_numeric")
                else f"upper({value})"
            )
        )
        return f"{alias}.iso3", country_join(alias, system, code)

    def canonical_sql(self, layout: Layout, scan: str, /, *, ingest_id: int, ordinals: bool = True) -> str:
        """SELECT mapping the file's rows to canonical event columns plus ``row_ordinal`` and ``reason``."""
        m = self.mapping
        fmt = _s(m.date_format)
        types = ", ".join(f"({_s(k)}, {_s(v)})" for k, v in m.event_types.items()) or "(NULL, NULL)"
        code = self._value("cameo_code") if ("cameo_code" in m.columns or "cameo_code" in m.constants) else "t.code"
        countries = {name: self._country(name, f"k{i}") for i, name in enumerate(_COUNTRIES)}
        checks = [
            f"WHEN {self._value('event_date')} IS NULL THEN 'the date is empty'",
            invalid_when("date", "event_date", f"try_strptime(v.event_date, {fmt}) IS NULL", "a date")
            if "event_date" in m.columns
            else "",
        ]
        for name, (iso3, _) in countries.items():
            if name in m.columns or name in m.constants:
                checks.append(
                    f"WHEN {self._value(name)} IS NOT NULL AND {iso3} IS NULL THEN "
                    f"format('{name} {{}} does not resolve to a country', {self._value(name)})"
                )
        checks.append(
            f"WHEN c.cameo_code IS NULL THEN format('event type {{}} / CAMEO code {{}} is not mapped', "
            f"coalesce({self._value('event_type')}, '-'), coalesce({code}, '-'))"
        )
        for number in ("fatalities", "lat", "lon"):
            if number in m.columns:
                checks.append(invalid_when(number, number, f"try_cast(v.{number} AS DOUBLE) IS NULL", "a number"))
        row_hash = "left(md5(concat_ws(chr(9), " + ", ".join(f"v.{k}" for k in m.columns) + ")), 16)"
        event_id = f"coalesce({self._value('event_id')}, {row_hash})"
        return f"""
WITH {fields_cte(layout, scan, m.columns, ordinals=ordinals)}
SELECT
  v.row_ordinal,
  {_s(m.source + ":")} || {event_id} AS event_id, {_s(m.source)} AS source,
  CAST(try_strptime({self._value("event_date")}, {fmt}) AS DATE) AS event_date,
  {countries["actor1_country"][0]} AS actor1_iso3, {self._value("actor1_type")} AS actor1_type,
  {self._value("actor1_name")} AS actor1_name,
  {countries["actor2_country"][0]} AS actor2_iso3, {self._value("actor2_type")} AS actor2_type,
  {self._value("actor2_name")} AS actor2_name,
  c.cameo_code, c.cameo_root, c.quad_class, c.goldstein,
  try_cast(try_cast({self._value("fatalities")} AS DOUBLE) AS INTEGER) AS fatalities,
  {countries["location_country"][0]} AS location_iso3, {self._value("admin1")} AS admin1,
  try_cast({self._value("lat")} AS DOUBLE) AS lat, try_cast({self._value("lon")} AS DOUBLE) AS lon,
  {self._value("source_url")} AS source_url, {self._value("source_ref")} AS source_ref,
  {_s(m.coding)} AS coding,
  try_cast({self._value("date_added")} AS TIMESTAMP) AS date_added,
  {int(ingest_id)} AS ingest_id,
  CASE {" ".join(checks)} END AS reason
FROM v
LEFT JOIN (VALUES {types}) AS t(event_type, code) ON t.event_type = {self._value("event_type")}
LEFT JOIN cameo_codes c ON c.cameo_code = {code}
{" ".join(join for _, join in countries.values())}
"""
