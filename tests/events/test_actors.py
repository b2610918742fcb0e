"""Named actors resolved to their state through the dated Phoenix dictionaries."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from flashpoint.events.actors import actor_table, name_key, read_actor_dictionary, write_actor_table

DICTIONARIES = ("Phoenix.Countries.actors.txt", "Phoenix.MilNonState.actors.txt")


def test_names_compare_without_accents_case_or_punctuation() -> None:
    assert name_key("Recep Tayyip Erdoğan") == "RECEP TAYYIP ERDOGAN"
    assert name_key("  Prayuth Chan-ocha ") == "PRAYUTH CHAN OCHA"


def test_an_entry_gives_each_name_its_dated_codes(tmp_path: Path) -> None:
    # The real entry of Benjamin Netanyahu in Phoenix.Countries.actors.txt, shortened.
    path = tmp_path / "a.actors.txt"
    path.write_text(
        "BENJAMIN_NETANYAHU_  # CountryInfo.txt\n+BIBI_NETANYAHU_\n\t[ISRELI 670101-960618]\n"
        "\t[ISRGOV 960618-990706]\n\t[ISRGOV >090401]\n\t[ISRELI]\nUNITED_NATIONS_ [IGOUNO]\n",
        encoding="utf-8",
    )
    found = {(n.name, n.actor_type, n.start, n.end) for n in read_actor_dictionary(path)}
    assert ("BENJAMIN NETANYAHU", "GOV", "2009-04-01", None) in found
    assert ("BIBI NETANYAHU", "GOV", "1996-06-18", "1999-07-06") in found
    assert ("BENJAMIN NETANYAHU", "ELI", None, None) in found and len(found) == 8  # the UN has no country


@pytest.mark.shared_data
def test_the_shipped_table_is_the_reading_of_the_shared_dictionaries(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "petrarch2_validation"
    rows = write_actor_table([folder / name for name in DICTIONARIES], tmp_path / "actors.csv.gz")
    shipped = Path(__file__).resolve().parents[2] / "src/flashpoint/events/data/actor_names.csv.gz"
    assert gzip.decompress((tmp_path / "actors.csv.gz").read_bytes()) == gzip.decompress(shipped.read_bytes())
    assert rows == actor_table().num_rows > 30_000
