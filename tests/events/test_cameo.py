from __future__ import annotations

import csv

import pytest

from flashpoint.events.cameo import cameo_codes, human_coded_types, quad_class_of_root


def test_codebook_has_every_root_and_known_codes() -> None:
    codes = cameo_codes()
    assert len(codes) == 311
    assert {c.cameo_root for c in codes.values()} == {f"{r:02d}" for r in range(1, 21)}
    assert codes["1385"].cameo_name == "Threaten attack with WMD"
    assert codes["195"].goldstein == -10.0
    assert codes["0871"].quad_class == 2


@pytest.mark.parametrize(
    ("root", "quad"), [("01", 1), ("05", 1), ("06", 2), ("08", 2), ("09", 3), ("13", 3), ("14", 4), ("20", 4)]
)
def test_quad_class_by_root(root: str, quad: int) -> None:
    assert quad_class_of_root(root) == quad


def test_quad_class_rejects_unknown_root() -> None:
    with pytest.raises(ValueError, match="01..20"):
        quad_class_of_root("21")


def test_codebook_matches_the_published_gdelt_lookup(shared_data) -> None:
    folder = shared_data / "cameo_codebook"
    with open(folder / "CAMEO.goldsteinscale.txt", encoding="utf-8") as fh:
        published = {row["CAMEOEVENTCODE"]: float(row["GOLDSTEINSCALE"]) for row in csv.DictReader(fh, delimiter="\t")}
    assert {code: c.goldstein for code, c in cameo_codes().items()} == published


def test_human_coded_types_use_codebook_codes_and_goldstein() -> None:
    codes = cameo_codes()
    for t in human_coded_types():
        assert t.cameo_code in codes, t
        assert t.goldstein == codes[t.cameo_code].goldstein, t


@pytest.mark.shared_data
def test_every_acled_event_category_has_a_cameo_mapping(shared_data) -> None:  # noqa: ANN001
    mapped = {(t.event_type, t.sub_event_type) for t in human_coded_types() if t.source == "acled"}
    with open(shared_data / "acled_acledR" / "acled_event_categories.csv", newline="", encoding="utf-8") as fh:
        categories = {(row["event_type"], row["sub_event_type"]) for row in csv.DictReader(fh)}
    assert categories <= mapped, categories - mapped
