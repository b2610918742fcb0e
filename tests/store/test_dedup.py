"""Deduplication: real re-reported incidents collapse, human-coded rows anchor, batches join."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from flashpoint.config import Settings
from flashpoint.refresh import settle
from flashpoint.sources import acled, gdelt, ucdp
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths
from flashpoint.store.schema import WEEKLY_TABLE

# One Dawn article (dawn.com/news/1342691, "Setback to peace") on 1 July 2017, which GDELT 2.0
# coded as six "disapprove" (112) events between Afghanistan and the United States.
DAWN_ROWS = {f"gdelt2:{i}" for i in (669666608, 669666610, 669666611, 669667747, 669667748, 669667750)}


def _ingest(con, settings: Settings, paths: list[str], reader=gdelt) -> None:  # noqa: ANN001
    """As an ingest does: store, then settle (a later batch is clustered from a copy of its pairs' rows)."""
    results = ingest_paths(con, paths, reader=reader)
    settle(con, settings, ingest_ids=[r.ingest_id for r in results if r.ingest_id is not None])


@pytest.mark.shared_data
def test_a_real_re_reported_incident_is_one_cluster(shared_data: Path, settings: Settings) -> None:
    sample = shared_data / "gdelt_raw_samples" / "gdelt2_export_20170701234500_gdeltPyR.csv"
    with open_store(settings) as con:
        _ingest(con, settings, [str(sample)])
        clusters = con.execute(
            "SELECT DISTINCT cluster_id FROM events WHERE event_id IN (SELECT unnest(?))", [sorted(DAWN_ROWS)]
        ).fetchall()
        members = {r[0] for r in con.execute("SELECT event_id FROM events WHERE cluster_id = ?", [clusters[0][0]]).fetchall()}
        view = con.execute(
            "SELECT rows, sources, human_confirmed FROM clusters WHERE cluster_id = ?", [clusters[0][0]]
        ).fetchone()
        unclustered = con.execute("SELECT count(*) FROM events WHERE cluster_id IS NULL").fetchone()[0]
    assert clusters == [("gdelt2:669666608",)]
    assert members == DAWN_ROWS
    assert view == (6, 1, False)
    assert unclustered == 0


def test_a_new_batch_joins_existing_clusters(settings: Settings, tmp_path: Path, gdelt2_lines) -> None:
    first = gdelt2_lines[9].split("\t")  # Egypt and Saudi Arabia consult (043) in Cairo
    single = gdelt2_lines[5].split("\t")  # one country named (the United States): no pair
    copies = ["\t".join([str(int(row[0]) + k), *row[1:]]) for row in (first, single) for k in (1000, 2000)]
    (tmp_path / "a.tsv").write_text("\n".join(gdelt2_lines) + "\n")
    (tmp_path / "b.tsv").write_text("\n".join(copies) + "\n")
    with open_store(settings) as con:
        _ingest(con, settings, [str(tmp_path / "a.tsv")])
        before = dict(con.execute("SELECT event_id, cluster_id FROM events").fetchall())
        _ingest(con, settings, [str(tmp_path / "b.tsv")])
        after = dict(con.execute("SELECT event_id, cluster_id FROM events").fetchall())
        sizes = dict(con.execute("SELECT event_id, cluster_size FROM events").fetchall())
        once = Settings(db=tmp_path / "once.duckdb", memory_limit="1GB", threads=1)
    with open_store(once) as con:
        _ingest(con, once, [str(tmp_path / "a.tsv"), str(tmp_path / "b.tsv")])
        together = dict(con.execute("SELECT event_id, cluster_id FROM events").fetchall())
        together_sizes = dict(con.execute("SELECT event_id, cluster_size FROM events").fetchall())
    original = f"gdelt2:{first[0]}"
    assert after[f"gdelt2:{int(first[0]) + 1000}"] == after[f"gdelt2:{int(first[0]) + 2000}"] == after[original]
    assert after[original] == before[original]  # the existing cluster kept its id
    alone = f"gdelt2:{single[0]}"
    assert after[f"gdelt2:{int(single[0]) + 1000}"] == after[f"gdelt2:{int(single[0]) + 2000}"] == after[alone]
    assert after == together and sizes == together_sizes  # incremental and all-at-once agree


def test_a_chain_of_reports_is_cut_at_the_window_and_at_gaps(settings: Settings, tmp_path: Path, gdelt2_lines) -> None:
    """With a one-day window, reports on consecutive days form one session, cut into incidents
    of at most two days from each one's first day; a gap of more than a day starts another."""
    row = gdelt2_lines[9].split("\t")  # Egypt and Saudi Arabia consult (043) in Cairo
    days = [f"201706{d:02d}" for d in (1, 2, 3, 4, 7, 8)]
    rows = ["\t".join([str(int(row[0]) + k), day, *row[2:]]) for k, day in enumerate(days)]
    (tmp_path / "chain.tsv").write_text("\n".join(rows) + "\n")
    with open_store(settings) as con:
        _ingest(con, settings, [str(tmp_path / "chain.tsv")])
        clusters = con.execute(
            "SELECT strftime(event_date, '%d'), dense_rank() OVER (ORDER BY cluster_id), "
            "cluster_size FROM events ORDER BY event_date"
        ).fetchall()
    assert clusters == [("01", 1, 2), ("02", 1, 2), ("03", 2, 2), ("04", 2, 2), ("07", 3, 2), ("08", 3, 2)]


@pytest.mark.shared_data
def test_machine_reports_join_the_human_coded_incident(
    shared_data: Path, settings: Settings, tmp_path: Path, gdelt2_lines
) -> None:
    # ACLED UKR52237: Russian and Ukrainian forces clash at Vyshhorod (Kyiv oblast), 25 Feb 2022.
    source = shared_data / "acled_acledR" / "acled_old_deletion_dummy.csv"
    with open(source, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = [r for r in reader if r["event_id_cnty"] in {"UKR52237", "UKR52244"}]
        header = reader.fieldnames
    with open(tmp_path / "acled.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    # A GDELT 2.0 row as a news report of it would be coded: RUS fights UKR (193) a day later, geocoded
    # to Kyiv's centroid (16 km from Vyshhorod, another 0.5° cell). Built from a real row's layout.
    report = gdelt2_lines[0].split("\t")
    report[0], report[1] = "990000001", "20220226"
    report[7], report[17], report[26], report[27], report[28] = "RUS", "UKR", "193", "193", "19"
    report[56], report[57] = "50.4333", "30.5167"
    (tmp_path / "report.tsv").write_text("\t".join(report) + "\n")
    # And a UCDP GED row as UCDP would code the same clash (constructed in GED's layout).
    (tmp_path / "ged.csv").write_text(
        "id,type_of_violence,side_a,side_b,gwnoa,gwnob,country_id,date_start,latitude,longitude,best,low,high\n"
        "990001,1,Government of Russia (Soviet Union),Government of Ukraine,365,369,369,2022-02-25,"
        "50.58,30.49,4,4,6\n",
        encoding="utf-8",
    )
    with open_store(settings) as con:
        _ingest(con, settings, [str(tmp_path / "acled.csv")], reader=acled)
        _ingest(con, settings, [str(tmp_path / "report.tsv")])
        _ingest(con, settings, [str(tmp_path / "ged.csv")], reader=ucdp)
        clusters = dict(con.execute("SELECT event_id, cluster_id FROM events").fetchall())
        view = con.execute(
            "SELECT rows, sources, human_confirmed, source_names FROM clusters WHERE cluster_id = 'acled:UKR52237'"
        ).fetchone()
    assert clusters["gdelt2:990000001"] == "acled:UKR52237"
    assert clusters["ucdp:990001"] == "acled:UKR52237"  # two human-coded sources on one battle
    assert clusters["acled:UKR52244"] == "acled:UKR52244"  # same day, same pair: ACLED's own rows never merge
    assert view == (3, 3, True, ["acled", "gdelt2", "ucdp"])


def _clustered(con) -> tuple[dict, list]:  # noqa: ANN001 - a DuckDB connection
    """Every event's cluster and cluster size, and every pair's stored weeks."""
    clusters = {r[0]: r[1:] for r in con.execute("SELECT event_id, cluster_id, cluster_size FROM events").fetchall()}
    return clusters, con.execute(f"SELECT * FROM {WEEKLY_TABLE} ORDER BY pair, period").fetchall()


@pytest.mark.shared_data
@hsettings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), batches=st.integers(2, 4))
def test_a_file_ingested_in_any_batches_clusters_as_it_does_at_once(
    shared_data: Path, tmp_path_factory, seed: int, batches: int
) -> None:  # noqa: ANN001
    """The incremental path (each batch's pairs copied, clustered again, their weeks refreshed)
    gives the clusters and stored weeks of one ingest of every row, whatever the batches."""
    rows = (
        (shared_data / "gdelt_raw_samples" / "gdelt1_daily_20160728_sample_reed9999.tsv").read_text(encoding="utf-8").splitlines()
    )
    folder = tmp_path_factory.mktemp("batches")
    draw = random.Random(seed)
    parts: list[list[str]] = [[] for _ in range(batches)]
    for row in rows:
        parts[draw.randrange(batches)].append(row)
    paths = []
    for i, part in enumerate(parts):
        paths.append(folder / f"batch{i}.tsv")
        paths[-1].write_text("".join(f"{row}\n" for row in part), encoding="utf-8")
    (folder / "all.tsv").write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")
    at_once = Settings(db=folder / "once.duckdb", threads=1)
    with open_store(at_once) as con:
        _ingest(con, at_once, [str(folder / "all.tsv")])
        expected = _clustered(con)
    batched = Settings(db=folder / "batched.duckdb", threads=1)
    with open_store(batched) as con:
        for path in paths:
            _ingest(con, batched, [str(path)])
        got = _clustered(con)
        _ingest(con, batched, [str(folder / "all.tsv")])  # every row again: all duplicates, nothing moves
        again = _clustered(con)
    assert len(expected[0]) == len(rows) and any(size > 1 for _, size in expected[0].values())
    assert got == expected
    assert again == expected
