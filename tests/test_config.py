from __future__ import annotations

from pathlib import Path

import pytest

from flashpoint.config import Settings, load_settings, with_overrides
from flashpoint.errors import InvalidInput


def test_precedence_defaults_file_environment_flags(tmp_path: Path) -> None:
    config = tmp_path / "flashpoint.toml"
    config.write_text('db = "from-file.duckdb"\nmemory_limit = "1GB"\nthreads = 3\n')
    from_file = load_settings(config_file=config, environ={})
    assert (from_file.db, from_file.memory_limit, from_file.threads) == (Path("from-file.duckdb"), "1GB", 3)
    from_env = load_settings(config_file=config, environ={"FLASHPOINT_DB": "env.duckdb"})
    assert from_env.db == Path("env.duckdb") and from_env.memory_limit == "1GB"
    from_flag = load_settings(
        config_file=config, environ={"FLASHPOINT_DB": "env.duckdb"}, overrides={"db": "flag.duckdb", "threads": None}
    )
    assert from_flag.db == Path("flag.duckdb") and from_flag.threads == 3


def test_default_store_is_in_the_user_data_directory(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).db.name == "flashpoint.duckdb"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("db = ", "not valid TOML"),
        ("colour = 1", "unknown setting"),
        ('threads = "many"', "whole number"),
        ("memory_limit = 5", "expected a size such as 4GB"),
        ('memory_limit = "lots"', "expected a size such as 4GB"),
    ],
)
def test_bad_settings_file(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "flashpoint.toml"
    config.write_text(text)
    with pytest.raises(InvalidInput, match=message):
        load_settings(config_file=config, environ={})


@pytest.mark.parametrize("size", ["4GB", "512MiB", "1.5 gb", "80%"])
def test_memory_limits_duckdb_reads_are_accepted(tmp_path: Path, size: str) -> None:
    config = tmp_path / "flashpoint.toml"
    config.write_text(f'memory_limit = "{size}"')
    assert load_settings(config_file=config, environ={}).memory_limit == size


@pytest.mark.parametrize(
    ("url", "good"),
    [
        ("https://acleddata.com", True),
        ("http://127.0.0.1:8080/hook", True),
        ("http://[::1]:9000/alerts", True),
        ("notaurl", False),
        ("ftp://example.org/feed", False),
        ("http://", False),
    ],
)
def test_url_settings_take_http_urls(url: str, good: bool) -> None:
    if good:
        assert with_overrides(Settings(db=Path("s.duckdb")), {"webhook_url": url}).webhook_url == url
    else:
        with pytest.raises(InvalidInput, match="setting 'webhook_url' from the command line: expected an http"):
            with_overrides(Settings(db=Path("s.duckdb")), {"webhook_url": url})
