"""Named actors → their state: people and organisations as event data name them, dated.

ICEWS names its actors as a reader of the news would: "Barack Obama", "Xi Jinping",
"Military (Russia)". A country and a "Sector (Country)" resolve through the country resolver;
a person resolves here, through the Phoenix/CAMEO actor dictionaries of the Open Event Data
Alliance (CountryInfo, MIT licence), which give each name its CAMEO actor code with the dates
it held (``[ISRGOV 960618-990706]``: Israel's government from 18 June 1996 to 6 July 1999;
``[CHNGOV >20121115]``: China's government from 15 November 2012; an undated code is the
name's role outside those dates, e.g. ``ISRELI``, an Israeli elite out of office). So a leader
is his government only while in office, and an Israeli elite before and after.

The dictionaries are read by :func:`read_actor_dictionary`; the shipped table
``events/data/actor_names.csv.gz`` is their reading, kept to names that resolve to one
country, and :func:`actor_table` loads it.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.csv as pa_csv

from flashpoint.events.countries import cameo_country_table

__all__ = [
    "ActorName",
    "actor_table",
    "name_key",
    "name_key_sql",
    "named_actors_sql",
    "read_actor_dictionary",
    "write_actor_table",
]

_CODE: Final = re.compile(r"\[([A-Z0-9]+)\s*([^\]]*)\]")
_TABLE: Final = "data/actor_names.csv.gz"


@dataclass(frozen=True)
class ActorName:
    """One name's CAMEO actor code over a span of days (``start``/``end`` ISO dates, open when None)."""

    name: str
    iso3: str
    actor_type: str
    start: str | None
    end: str | None


def name_key(text: str, /) -> str:
    """A name as the dictionaries and the lookup compare it: accents removed, upper case, words
    separated by one space ('Recep Tayyip Erdoğan' → 'RECEP TAYYIP ERDOGAN')."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", plain.upper()).split())


def name_key_sql(column: str, /) -> str:
    """SQL of :func:`name_key` for the engine (``column`` is text)."""
    return f"trim(regexp_replace(upper(strip_accents({column})), '[^A-Z0-9]+', ' ', 'g'))"


def named_actors_sql(named: str, /) -> str:
    """SQL: each (``name``, ``day``) of the query ``named`` (text name, text or date day) with the
    ``iso3`` and ``actor_type`` of the store's ``actor_names`` entry that names it on that day;
    names no entry holds are left out (so a LEFT JOIN on name and day leaves them NULL).

    The forms of a name tried, in this order: the whole name; its first and last words, and its
    first two (news names carry middle names and patronymics the dictionaries leave out:
    'Uhuru Muigai Kenyatta'); its first word when that is a country's own name or demonym
    ('Israeli Defense Forces'); its last word when the dictionaries list the surname alone
    ('Vladimir Vladimirovich Putin'; a surname two countries' people share is not listed); its
    first and last words with a first name's final y spelled i, as other transliterations of
    Russian spell it ('Dmitry' → 'Dmitri Medvedev'). Within a form, a dated span holding the day comes before the
    name's undated role, the latest-starting first. Names are resolved once per distinct name and
    day, by hash joins."""
    key = name_key_sql("name")
    return f"""
WITH named AS (SELECT DISTINCT name, day, {key} AS k, string_split({key}, ' ') AS w,
                      try_cast(day AS DATE) AS on_day FROM ({named}) WHERE name IS NOT NULL),
forms AS (SELECT name, day, on_day, k AS form, 1 AS rank FROM named
          UNION ALL SELECT name, day, on_day, w[1] || ' ' || w[-1], 2 FROM named WHERE len(w) > 2
          UNION ALL SELECT name, day, on_day, w[1] || ' ' || w[2], 3 FROM named WHERE len(w) > 2
          UNION ALL SELECT name, day, on_day, w[1], 4 FROM named WHERE len(w) > 1
          UNION ALL SELECT name, day, on_day, w[-1], 5 FROM named WHERE len(w) > 1
          UNION ALL SELECT name, day, on_day, regexp_replace(w[1], 'Y$', 'I') || ' ' || w[-1], 6 FROM named
                    WHERE len(w) > 1 AND w[1] LIKE '%Y')
SELECT f.name, f.day, n.iso3, n.actor_type FROM forms f JOIN actor_names n ON n.name = f.form
WHERE (f.rank <> 4 OR n.actor_type IS NULL)
  AND coalesce(n.start_date <= f.on_day, true) AND coalesce(f.on_day < n.end_date, true)
QUALIFY row_number() OVER (PARTITION BY f.name, f.day ORDER BY f.rank,
                           n.start_date IS NULL AND n.end_date IS NULL, n.start_date DESC NULLS LAST) = 1"""


def _day(text: str) -> str | None:
    digits = text.strip()
    if len(digits) == 6:  # YYMMDD: the dictionaries' two-digit years run from 1931 to 2030
        year = int(digits[:2])
        return f"{(1900 if year > 30 else 2000) + year:04d}-{digits[2:4]}-{digits[4:6]}"
    if len(digits) == 8:
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}"
    return None


def _span(text: str) -> tuple[str | None, str | None]:
    """'960618-990706', '>20121115' (from), '<990706' (until), '' (undated)."""
    text = text.strip()
    if text.startswith(">"):
        return _day(text[1:]), None
    if text.startswith("<"):
        return None, _day(text[1:])
    if "-" in text:
        first, last = text.split("-", 1)
        return _day(first), _day(last)
    return None, None


def _entries(lines: Iterable[str]) -> Iterable[tuple[list[str], list[tuple[str, str | None, str | None]]]]:
    """(names, dated codes) of each entry of a TABARI actors file: a name, its '+' synonyms,
    and its '[CODE dates]' lines (or a code on the name's own line)."""
    names: list[str] = []
    codes: list[tuple[str, str | None, str | None]] = []
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            if found := _CODE.match(line):
                codes.append((found.group(1), *_span(found.group(2))))
        elif line.startswith("+"):
            names.append(line[1:])
        else:
            yield names, codes
            inline = _CODE.search(line)
            names = [line[: inline.start()] if inline else line.split()[0]]
            codes = [(inline.group(1), *_span(inline.group(2)))] if inline else []
    yield names, codes


def read_actor_dictionary(path: Path, /) -> list[ActorName]:
    """The names of a Phoenix/TABARI actors file (e.g. ``Phoenix.Countries.actors.txt``) with the
    country and actor type of each dated code; codes of no country (IGOs, regions) are left out."""
    found = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for names, codes in _entries(handle):
            for code, start, end in codes:
                iso3 = cameo_country_table().get(code[:3])  # None: a region, an IGO, a former state
                if iso3 is None:
                    continue
                found += [
                    ActorName(name_key(n.replace("_", " ")), iso3, code[3:6] or "", start, end)
                    for n in names
                    if name_key(n.replace("_", " "))
                ]
    return found


def _unambiguous(names: list[ActorName]) -> list[ActorName]:
    """Names of one country only (a name two countries' people share resolves to neither), each
    (name, span) once."""
    countries: dict[str, set[str]] = {}
    for n in names:
        countries.setdefault(n.name, set()).add(n.iso3)
    unique = {(n.name, n.start, n.end): n for n in names if len(countries[n.name]) == 1}
    return sorted(unique.values(), key=lambda n: (n.name, n.start or "", n.end or ""))


def write_actor_table(dictionaries: list[Path], out: Path, /) -> int:
    """Write the shipped actor table from the dictionaries; returns its rows."""
    rows = _unambiguous([n for path in dictionaries for n in read_actor_dictionary(path)])
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["name", "iso3", "actor_type", "start", "end"])
    writer.writerows((n.name, n.iso3, n.actor_type, n.start or "", n.end or "") for n in rows)
    out.write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))
    return len(rows)


@cache
def actor_table() -> pa.Table:
    """The shipped actor table (:func:`write_actor_table` of the Phoenix dictionaries): ``name``
    (:func:`name_key`), ``iso3``, ``actor_type`` (GOV, ELI, MIL, REB, ...), ``start_date`` and
    ``end_date`` (NULL: open)."""
    data = gzip.decompress(files("flashpoint.events").joinpath(_TABLE).read_bytes())
    types = {"name": pa.string(), "iso3": pa.string(), "actor_type": pa.string(), "start": pa.date32(), "end": pa.date32()}
    table = pa_csv.read_csv(
        pa.py_buffer(data), convert_options=pa_csv.ConvertOptions(column_types=types, strings_can_be_null=True)
    )
    return table.rename_columns(["name", "iso3", "actor_type", "start_date", "end_date"])
