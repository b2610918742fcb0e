"""Shared fixtures: a fresh store per test, the shared real data, small GDELT files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flashpoint.config import Settings

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    return Path(os.environ.get("FLASHPOINT_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real datasets; skipped when absent on a user's machine, a failure under CI."""
    path = shared_data_dir()
    if not path.is_dir():
        message = f"shared data not found at {path} (set FLASHPOINT_SHARED_DATA)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": CI must exercise the shared-data tests")
        pytest.skip(message)
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a fresh store file in a temporary folder."""
    return Settings(db=tmp_path / "store.duckdb", memory_limit="2GB", threads=2)


@pytest.fixture(scope="session")
def gdelt1_lines() -> list[str]:
    """Ten real GDELT 1.0 daily rows (58 tab-separated columns), shipped in tests/data."""
    return (REPO / "tests" / "data" / "gdelt1_daily_20160728_head.tsv").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="session")
def gdelt2_lines() -> list[str]:
    """Ten real GDELT 2.0 export rows (61 tab-separated columns), shipped in tests/data."""
    return (REPO / "tests" / "data" / "gdelt2_export_20170701234500_head.tsv").read_text(encoding="utf-8").splitlines()
