"""Snapshots of what API clients depend on: the endpoints and their parameters, and the answers
for one real pair (GEO-RUS in the bundled demo data) — its monthly indicators, yearly metrics
and the events behind an indicator.

A change shows as a failing test with the difference. When the change is intended, run
``FLASHPOINT_UPDATE_SNAPSHOTS=1 pytest tests/web/test_snapshots.py``, review the rewritten
files in ``tests/web/snapshots/`` and commit them with the change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.web.conftest import http

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("FLASHPOINT_UPDATE_SNAPSHOTS") == "1"


def _rounded(value: object) -> object:
    """Floats to 6 decimals (the last bits of a z-score may differ between CPUs)."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _check(name: str, value: object) -> None:
    path = SNAPSHOTS / f"{name}.json"
    value = _rounded(value)
    if UPDATE:
        path.write_text(json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with FLASHPOINT_UPDATE_SNAPSHOTS=1 and review it"
    assert value == json.loads(path.read_text(encoding="utf-8")), f"the answer differs from {path.name}"


def _contract(schema: dict) -> dict[str, list[str]]:
    """Each operation's parameters: name, where it goes, required or not, and its type."""

    def kind(param: dict) -> str:
        found = param.get("schema", {})
        types = [found.get("type")] if "type" in found else [s.get("type") for s in found.get("anyOf", [])]
        return "|".join(t for t in types if t)

    return {
        f"{method.upper()} {path}": sorted(
            f"{p['name']} ({p['in']}, {'required' if p.get('required') else 'optional'}, {kind(p)})"
            for p in operation.get("parameters", [])
        )
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


def test_the_api_contract_is_pinned(server: str) -> None:
    _check("api_contract", _contract(http.get(f"{server}/openapi.json", timeout=30).json()))


@pytest.mark.parametrize(
    ("name", "path", "params"),
    [
        (
            "geo_rus_indicators_2012_h1",
            "/api/pairs/GEO-RUS/indicators",
            {"freq": "month", "since": "2012-01-01", "until": "2012-06-30"},
        ),
        ("geo_rus_metrics_2012", "/api/pairs/GEO-RUS/metrics", {"year": 2012}),
        (
            "geo_rus_rhetoric_2012_12",
            "/api/pairs/GEO-RUS/explain",
            {"period": "2012-12", "indicator": "rhetoric", "freq": "month", "limit": 10},
        ),
    ],
)
def test_the_answers_for_a_real_pair_are_pinned(server: str, name: str, path: str, params: dict) -> None:
    answer = http.get(f"{server}{path}", params=params, timeout=60)
    assert answer.status_code == 200, answer.text
    _check(name, answer.json())
