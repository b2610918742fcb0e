"""Past escalations between two states and what followed them: the analogue table.

One row per dyadic militarised interstate dispute (GML MID 2.2.1: a pair of states on opposite
sides of one dispute, 1816–2000) that reached at least hostility level 4 (use of force), with:

- its pair (COW state numbers ``a`` < ``b`` and their ISO3), onset ``year``, highest hostility
  level (5 = war), fatality level and longest duration;
- the pair's structure in the onset year (the dyad-year panel of :mod:`flashpoint.forecasts.panels`:
  contiguity, capability ratio, defence pact, major powers);
- what followed, each from its own table and missing where the table does not reach:
  battle deaths of the two states in the war (COW inter-state wars), whether other states or
  major powers joined the dispute (GML participants), refugees and asylum seekers leaving the two
  states in the onset year and the two after against the three before (UNHCR flows, from 1962),
  their bilateral trade the year after against the year before (COW dyadic trade, to 2014),
  their GDP growth (World Bank, from 1961) and military spending (COW NMC) after against before,
  and conflict onsets in their land neighbours in the three years after (UCDP onsets, from 1946)
  against the world's rate in the same years.

The tables are read from a folder laid out like the shared data (``peacesciencer/`` and
``consequences/``); :data:`TABLES` names each with its citation and licence.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

import duckdb
import numpy as np
import pandas as pd

from flashpoint.consequences.tables import TABLES
from flashpoint.errors import InvalidInput
from flashpoint.events.countries import state_system_table
from flashpoint.forecasts.panels import build_panel

#: Years before and after an onset the outcomes compare.
BEFORE_YEARS: Final = 3
AFTER_YEARS: Final = 3


def table_path(data_dir: Path, name: str, /) -> Path:
    """The file of table ``name`` in the data folder.

    Raises
    ------
    InvalidInput
        When it is missing, naming the folder layout expected.
    """
    path = Path(data_dir) / TABLES[name].path
    if not path.exists():
        raise InvalidInput(
            f"no {name} table at {path}: give a folder laid out like the shared data (peacesciencer/, consequences/)."
        )
    return path


def read_table(data_dir: Path, name: str, /) -> pd.DataFrame:
    """Table ``name`` of :data:`TABLES` as read from the data folder (read once per process; a copy
    the caller may change)."""
    return _table(Path(data_dir), name).copy()


@cache
def _table(data_dir: Path, name: str, /) -> pd.DataFrame:
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")  # the engine's bar would print amid a command's output
        return con.sql(f"SELECT * FROM read_csv('{table_path(data_dir, name)}', nullstr=['NA', ''])").df()


def state_iso3(codes: pd.Series, system: str = "cow", /) -> pd.Series:
    """COW (or Gleditsch–Ward) state numbers as ISO3 codes; missing for a state with no present-day one."""
    table = {int(code): iso3 for code, iso3 in state_system_table(system).items() if iso3}
    return codes.astype("int64").map(table)


def land_borders(data_dir: Path, /) -> pd.DataFrame:
    """Every land border (COW direct contiguity type 1), each way: ``ccode1``, ``ccode2``, the years it
    held (``first``, ``last``) and the neighbour's ISO3 (``host``, missing for a state with none)."""
    land = read_table(data_dir, "cow_contiguity")
    land = land[land["conttype"] == 1].astype({"ccode1": "int64", "ccode2": "int64"})
    return land.assign(
        first=pd.to_datetime(land["stdate"]).dt.year,
        last=pd.to_datetime(land["enddate"]).dt.year,
        host=state_iso3(land["ccode2"]),
    )


def people_abroad(unhcr: pd.DataFrame, /) -> pd.Series:
    """Refugees and asylum seekers of each row of a UNHCR table (flows or stocks), missing counted as none."""
    return unhcr["refugees"].fillna(0) + unhcr["asylum_seekers"].fillna(0)


def _disputes(data_dir: Path) -> pd.DataFrame:
    """One row per dyadic dispute reaching use of force: pair, onset year, hostility, fatality, duration."""
    rows = read_table(data_dir, "gml_mid")
    rows = rows[rows["ccode1"] < rows["ccode2"]]
    episodes = (
        rows.assign(fatality=rows["fatality"].where(rows["fatality"] >= 0))
        .groupby(["dispnum", "ccode1", "ccode2"], as_index=False)
        .agg(year=("year", "min"), hostlev=("hostlev", "max"), fatality=("fatality", "max"), days=("maxdur", "max"))
    )
    episodes = episodes[episodes["hostlev"] >= 4].rename(columns={"ccode1": "a", "ccode2": "b"})
    episodes = episodes.astype({"dispnum": "int64", "a": "int64", "b": "int64", "year": "int64", "hostlev": "int64"})
    episodes["iso3_a"], episodes["iso3_b"] = state_iso3(episodes["a"]), state_iso3(episodes["b"])
    return episodes.reset_index(drop=True)


#: The structure analogues are matched on (the dyad-year panel's columns).
STRUCTURE: Final = ("contiguous", "log_capability_ratio", "defense_pact", "major_powers")


@cache
def structure_table(data_dir: Path, /) -> pd.DataFrame:
    """Every pair of COW states and year (``a`` < ``b``) with its :data:`STRUCTURE`, read once per folder."""
    panel = build_panel("dyad-year", data_dir=Path(data_dir))
    keep = ["ccode1", "ccode2", "year", *STRUCTURE]
    return panel[keep].rename(columns={"ccode1": "a", "ccode2": "b"}).astype({"a": "int64", "b": "int64", "year": "int64"})


def _with_structure(episodes: pd.DataFrame, data_dir: Path) -> pd.DataFrame:
    return episodes.merge(structure_table(data_dir), on=["a", "b", "year"], how="left")


def _war_deaths(episodes: pd.DataFrame, data_dir: Path) -> pd.Series:
    """The two states' battle deaths in the inter-state war they fought from the onset year on (wars only)."""
    wars = read_table(data_dir, "cow_war")
    wars = wars[wars["ccode1"] < wars["ccode2"]].astype({"ccode1": "int64", "ccode2": "int64", "year": "int64"})
    wars["deaths"] = wars["batdeath1"].where(wars["batdeath1"] >= 0) + wars["batdeath2"].where(wars["batdeath2"] >= 0)
    first = wars.groupby(["warnum", "ccode1", "ccode2"], as_index=False).agg(war_year=("year", "min"), deaths=("deaths", "max"))
    joined = episodes.reset_index().merge(first, left_on=["a", "b"], right_on=["ccode1", "ccode2"], how="left")
    joined = joined[
        (joined["war_year"] >= joined["year"]) & (joined["war_year"] <= joined["year"] + 1) & (joined["hostlev"] == 5)
    ]
    return joined.groupby("index")["deaths"].max().reindex(episodes.index)


def _joined(episodes: pd.DataFrame, data_dir: Path) -> pd.DataFrame:
    """Whether states besides the two, major powers besides them, and a defence-pact ally of either
    (ATOP, in the onset year) took part in the dispute."""
    part = read_table(data_dir, "gml_participants").astype({"dispnum": "int64", "ccode": "int64"})
    major_rows = read_table(data_dir, "cow_majors")
    found = episodes[["dispnum", "a", "b", "year"]].reset_index().merge(part[["dispnum", "ccode"]], on="dispnum")
    others = found[(found["ccode"] != found["a"]) & (found["ccode"] != found["b"])]
    spans = others.merge(major_rows[["ccode", "styear", "endyear"]], on="ccode", how="left")
    spans["major"] = (spans["styear"] <= spans["year"]) & (spans["year"] <= spans["endyear"])
    third = others.groupby("index").size().reindex(episodes.index).fillna(0)
    major = spans.groupby("index")["major"].any().reindex(episodes.index).fillna(False)
    pacts = read_table(data_dir, "atop")
    pacts = pacts[pacts["atop_defense"] == 1].astype({"ccode1": "int64", "ccode2": "int64", "year": "int64"})
    allied = set(zip(pacts["ccode1"], pacts["ccode2"], pacts["year"]))
    others = others.assign(
        ally=[
            (a, c, y) in allied or (c, a, y) in allied or (b, c, y) in allied or (c, b, y) in allied
            for a, b, c, y in zip(others["a"], others["b"], others["ccode"], others["year"])
        ]
    )
    ally = others.groupby("index")["ally"].any().reindex(episodes.index).fillna(False)
    return pd.DataFrame(
        {
            "others_joined": (third > 0).astype("float64"),
            "major_joined": major.astype("float64"),
            "ally_joined": ally.astype("float64"),
        }
    )


def _window_mean(values: pd.DataFrame, keys: pd.DataFrame, key: str, first: pd.Series, last: pd.Series) -> pd.Series:
    """Per row of ``keys``, the mean of ``values.value`` of its ``key`` over years ``first``–``last``
    (missing when a year of the window has no value)."""
    frame = keys[[key]].assign(first=first.to_numpy(), last=last.to_numpy()).reset_index()
    joined = frame.merge(values, on=key, how="left")
    inside = joined[(joined["year"] >= joined["first"]) & (joined["year"] <= joined["last"])]
    stats = inside.groupby("index")["value"].agg(["mean", "count"])
    span = (last - first + 1).to_numpy()
    found = stats["mean"].reindex(keys.index)
    return found.where(stats["count"].reindex(keys.index).to_numpy() == span)


def _before_after(
    episodes: pd.DataFrame, values: pd.DataFrame, key_a: str, key_b: str, a_stronger: pd.Series, *, ratio: bool
) -> tuple[pd.Series, pd.Series]:
    """Each state's mean of ``values`` (key, year, value) over the years after the onset (onset year
    included) against the years before — a ratio − 1 or a difference — for the stronger state of the
    two (``a_stronger``: by COW CINC in the onset year) and the weaker."""
    y = episodes["year"]
    changes = []
    for key in (key_a, key_b):
        keys = episodes[[key]].rename(columns={key: "key"})
        table = values.rename(columns={values.columns[0]: "key"})
        before = _window_mean(table, keys, "key", y - BEFORE_YEARS, y - 1)
        after = _window_mean(table, keys, "key", y, y + AFTER_YEARS - 1)
        changes.append(after / before.where(before > 0) - 1 if ratio else after - before)
    first, second = changes
    return first.where(a_stronger, second), second.where(a_stronger, first)


def _a_stronger(episodes: pd.DataFrame, nmc: pd.DataFrame) -> pd.Series:
    """Whether state ``a`` had the larger COW CINC of the two in the onset year (True when unknown)."""
    cinc = nmc[["ccode", "year", "cinc"]].astype({"ccode": "int64", "year": "int64"})
    found = [
        episodes[[key, "year"]].merge(cinc, left_on=[key, "year"], right_on=["ccode", "year"], how="left")["cinc"].fillna(0)
        for key in ("a", "b")
    ]
    return pd.Series((found[0] >= found[1]).to_numpy(), index=episodes.index)


def _refugees(episodes: pd.DataFrame, data_dir: Path) -> pd.DataFrame:
    """Refugees and asylum seekers leaving the two states per year, after the onset and before it."""
    flows = read_table(data_dir, "unhcr")
    flows["people"] = people_abroad(flows)
    by_origin = flows.groupby(["coo_iso", "year"], as_index=False)["people"].sum()
    # Years the table covers: a year without any row for an origin counts as none left it.
    years = range(int(flows["year"].min()), int(flows["year"].max()) + 1)
    origins = by_origin["coo_iso"].unique()
    grid = pd.MultiIndex.from_product([origins, years], names=["coo_iso", "year"]).to_frame(index=False)
    dense = grid.merge(by_origin, on=["coo_iso", "year"], how="left").fillna({"people": 0.0})
    dense = dense.rename(columns={"people": "value"})
    y = episodes["year"]
    out = {}
    for label, first, last in (("refugees_before", y - BEFORE_YEARS, y - 1), ("refugees_after", y, y + AFTER_YEARS - 1)):
        total = 0
        for key in ("iso3_a", "iso3_b"):
            keys = episodes[[key]].rename(columns={key: "coo_iso"})
            covered = (first >= years.start) & (last < years.stop)
            total = total + _window_mean(dense, keys, "coo_iso", first, last).where(covered)
        out[label] = total
    return pd.DataFrame(out)


def _to_neighbours(episodes: pd.DataFrame, data_dir: Path) -> pd.Series:
    """The share of the refugees and asylum seekers who left either state in the onset year and the two
    after (UNHCR flows) that went to a land neighbour of the state they left other than the adversary
    (COW contiguity in the onset year); missing when none left or the flows do not cover the years."""
    flows = read_table(data_dir, "unhcr")
    flows = flows.assign(people=people_abroad(flows))[["coo_iso", "coa_iso", "year", "people"]]
    sides = pd.concat(
        [
            episodes[[code, key, "year"]].set_axis(["code", "origin", "year"], axis=1).reset_index()
            for code, key in (("a", "iso3_a"), ("b", "iso3_b"))
        ]
    )
    near = sides.merge(land_borders(data_dir), left_on="code", right_on="ccode1")
    near = near[(near["first"] <= near["year"]) & (near["last"] >= near["year"])]
    near = near.dropna(subset=["host"])[["index", "origin", "host", "year"]]
    pair = episodes[["iso3_a", "iso3_b"]]
    others = near["host"].to_numpy() != pair.loc[near["index"], "iso3_a"].to_numpy()
    near = near[others & (near["host"].to_numpy() != pair.loc[near["index"], "iso3_b"].to_numpy())]  # not the adversary
    left = sides.merge(flows, left_on="origin", right_on="coo_iso", suffixes=("", "_flow"))
    left = left[(left["year_flow"] >= left["year"]) & (left["year_flow"] < left["year"] + AFTER_YEARS)]
    total = left.groupby("index")["people"].sum()
    nearby = left.merge(
        near[["index", "origin", "host"]].drop_duplicates(),
        left_on=["index", "origin", "coa_iso"],
        right_on=["index", "origin", "host"],
    )
    share = nearby.groupby("index")["people"].sum().reindex(total.index).fillna(0.0) / total.where(total > 0)
    covered = (episodes["year"] >= int(flows["year"].min())) & (episodes["year"] + AFTER_YEARS - 1 <= int(flows["year"].max()))
    return share.reindex(episodes.index).where(covered)


def _trade(episodes: pd.DataFrame, data_dir: Path) -> pd.Series:
    """The pair's trade (both ways, COW smoothed flows) the year after the onset over the year before, − 1."""
    trade = read_table(data_dir, "cow_trade").astype({"ccode1": "int64", "ccode2": "int64", "year": "int64"})
    trade["value"] = trade["smoothflow1"].where(trade["smoothflow1"] >= 0) + trade["smoothflow2"].where(trade["smoothflow2"] >= 0)
    table = trade.rename(columns={"ccode1": "a", "ccode2": "b"})[["a", "b", "year", "value"]]
    before = episodes.assign(year=episodes["year"] - 1).merge(table, on=["a", "b", "year"], how="left")["value"]
    after = episodes.assign(year=episodes["year"] + 1).merge(table, on=["a", "b", "year"], how="left")["value"]
    return pd.Series((after / before.where(before > 0) - 1).to_numpy(), index=episodes.index)


def _spillover(episodes: pd.DataFrame, data_dir: Path) -> pd.DataFrame:
    """Whether a land neighbour of either state (besides the other) saw a new armed conflict in the
    three years after the onset, and the share of all states that did in those years."""
    land = land_borders(data_dir)
    onsets = read_table(data_dir, "ucdp_onsets")
    onsets = onsets.assign(iso3=state_iso3(onsets["gwcode"], "gw"), year=onsets["year"].astype("int64"))
    onsets = onsets.dropna(subset=["iso3"])
    hit = onsets[onsets["sumonset1"] > 0].groupby("iso3")["year"].apply(set).to_dict()
    per_year = onsets.groupby("year").agg(states=("iso3", "nunique"))
    last_year = int(onsets["year"].max())
    covered = set(onsets["iso3"])
    spill, base = [], []
    for row in episodes.itertuples():
        window = range(row.year + 1, row.year + AFTER_YEARS + 1)
        if row.year + 1 < 1946 or window.stop - 1 > last_year:
            spill.append(np.nan), base.append(np.nan)
            continue
        near = land[
            ((land["ccode1"] == row.a) | (land["ccode1"] == row.b)) & (land["first"] <= row.year) & (land["last"] >= row.year)
        ]
        states = [s for s in set(near["host"].dropna()) - {row.iso3_a, row.iso3_b} if s in covered]
        spill.append(float(any(hit.get(s, set()) & set(window) for s in states)) if states else np.nan)
        any_onset = sum(1 for years in hit.values() if years & set(window))
        base.append(any_onset / per_year.loc[window.start, "states"] if window.start in per_year.index else np.nan)
    return pd.DataFrame({"neighbour_onset": spill, "world_onset_rate": base}, index=episodes.index)


@cache
def episode_table(data_dir: Path, /) -> pd.DataFrame:
    """The analogue table (see the module documentation), read once per folder.

    Raises
    ------
    InvalidInput
        For a folder without the tables.
    """
    data_dir = Path(data_dir)
    episodes = _with_structure(_disputes(data_dir), data_dir)
    episodes["war_deaths"] = _war_deaths(episodes, data_dir)
    episodes["became_war"] = (episodes["hostlev"] == 5).astype("float64")
    episodes = pd.concat([episodes, _joined(episodes, data_dir), _refugees(episodes, data_dir)], axis=1)
    episodes["trade_change"] = _trade(episodes, data_dir)
    episodes["refugees_to_neighbours"] = _to_neighbours(episodes, data_dir)
    nmc = read_table(data_dir, "cow_nmc")
    stronger = _a_stronger(episodes, nmc)
    growth = read_table(data_dir, "wdi_growth")
    growth = growth[~growth["is_aggregate"]][["iso3", "year", "gdp_growth_pct"]].rename(columns={"gdp_growth_pct": "value"})
    found = _before_after(episodes, growth, "iso3_a", "iso3_b", stronger, ratio=False)
    episodes["growth_change_stronger"], episodes["growth_change_weaker"] = found
    spending = nmc.assign(value=nmc["milex"].where(nmc["milex"] >= 0))[["ccode", "year", "value"]]
    spending = spending.astype({"ccode": "int64", "year": "int64"})
    found = _before_after(episodes, spending, "a", "b", stronger, ratio=True)
    episodes["spending_change_stronger"], episodes["spending_change_weaker"] = found
    return pd.concat([episodes, _spillover(episodes, data_dir)], axis=1)
