"""Settings: one typed object, loaded at the edge and passed down.

Precedence: defaults < ``flashpoint.toml`` (current directory, or ``--config``) <
``FLASHPOINT_*`` environment variables < command-line flags.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import platformdirs

from flashpoint.errors import InvalidInput

CONFIG_FILE_NAME = "flashpoint.toml"


def default_download_dir() -> Path:
    """Where fetched source files are kept unless ``download_dir`` is set."""
    return Path(platformdirs.user_data_dir("flashpoint")) / "downloads"


def default_db_path() -> Path:
    """The store used when nothing else is set: ``flashpoint.duckdb`` in the user's data directory."""
    return Path(platformdirs.user_data_dir("flashpoint")) / "flashpoint.duckdb"


@dataclass(frozen=True)
class Settings:
    """Flashpoint's settings.

    Parameters
    ----------
    db : Path
        The DuckDB event store file (``--db``, ``FLASHPOINT_DB``, ``db`` in flashpoint.toml).
    memory_limit : str
        DuckDB memory limit for ingest and queries, e.g. ``"4GB"`` (``FLASHPOINT_MEMORY_LIMIT``).
        Larger work spills to ``temp_directory``.
    temp_directory : Path or None
        Where DuckDB spills when a query needs more than ``memory_limit``
        (``FLASHPOINT_TEMP_DIRECTORY``); default: next to the store file.
    threads : int
        DuckDB worker threads; 0 means one per core (``FLASHPOINT_THREADS``).
    dedup_window_days : int
        Deduplication: rows at most this many days apart can describe the same incident
        (``FLASHPOINT_DEDUP_WINDOW_DAYS``); an incident spans at most this window.
    dedup_cell_degrees : float
        Deduplication: rows whose coordinates fall in the same grid cell of this size (degrees
        of latitude and longitude) count as nearby (``FLASHPOINT_DEDUP_CELL_DEGREES``).
    gdelt_base_url : str
        Where ``flashpoint fetch gdelt`` reads GDELT's file lists and files
        (``FLASHPOINT_GDELT_BASE_URL``); a mirror or a local server can stand in.
    download_dir : Path or None
        Where fetched files are kept (``FLASHPOINT_DOWNLOAD_DIR``); default: ``downloads``
        in the user's data directory.
    redlines_file : Path or None
        The user's red-line rules (TOML), added to Flashpoint's defaults (``FLASHPOINT_REDLINES_FILE``).
    acled_base_url : str
        ACLED's API (``FLASHPOINT_ACLED_BASE_URL``).
    acled_username, acled_password : str or None
        The ACLED account for ``flashpoint fetch acled`` (``FLASHPOINT_ACLED_USERNAME``,
        ``FLASHPOINT_ACLED_PASSWORD``); the password is never printed.
    """

    db: Path
    memory_limit: str = "4GB"
    temp_directory: Path | None = None
    threads: int = 0
    dedup_window_days: int = 1
    dedup_cell_degrees: float = 0.5
    gdelt_base_url: str = "http://data.gdeltproject.org"
    download_dir: Path | None = None
    redlines_file: Path | None = None
    acled_base_url: str = "https://acleddata.com"
    acled_username: str | None = None
    acled_password: str | None = field(default=None, repr=False)


_ENV_PREFIX = "FLASHPOINT_"


def _coerce(name: str, value: object, origin: str) -> object:
    if name in ("db", "temp_directory", "download_dir", "redlines_file"):
        return Path(str(value)).expanduser()
    numbers = {"threads": (int, "a whole number"), "dedup_window_days": (int, "a whole number of days"),
               "dedup_cell_degrees": (float, "a number of degrees")}
    if name in numbers:
        kind, expected = numbers[name]
        try:
            number = kind(str(value))
        except ValueError:
            raise InvalidInput(f"setting '{name}' from {origin}: expected {expected}, got {value!r}.") from None
        if number < 0 or (name == "dedup_cell_degrees" and number == 0):
            raise InvalidInput(f"setting '{name}' from {origin}: expected a positive value, got {value!r}.")
        return number
    return str(value)


def load_settings(
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, object | None] | None = None,
) -> Settings:
    """Build the settings from defaults, the TOML file, the environment and CLI overrides.

    Parameters
    ----------
    config_file : Path, optional
        TOML file to read; default ``./flashpoint.toml`` when it exists.
    environ : mapping, optional
        Environment to read ``FLASHPOINT_*`` variables from (default ``os.environ``).
    overrides : mapping, optional
        Values from command-line flags; ``None`` values are ignored.

    Raises
    ------
    InvalidInput
        When the file cannot be parsed or names an unknown setting.
    """
    known = {f.name for f in fields(Settings)}
    values: dict[str, object] = {}
    path = config_file if config_file is not None else Path(CONFIG_FILE_NAME)
    if config_file is not None and not path.exists():
        raise InvalidInput(f"settings file {path} does not exist. Check the --config path.")
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"settings file {path} is not valid TOML: {exc}.") from None
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInput(
                f"settings file {path}: unknown setting(s) {', '.join(unknown)}; "
                f"known settings are {', '.join(sorted(known))}."
            )
        values.update({k: _coerce(k, v, str(path)) for k, v in data.items()})
    env = os.environ if environ is None else environ
    for name in known:
        raw = env.get(_ENV_PREFIX + name.upper())
        if raw:
            values[name] = _coerce(name, raw, _ENV_PREFIX + name.upper())
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = _coerce(name, value, f"--{name.replace('_', '-')}")
    settings = Settings(db=default_db_path())
    return replace(settings, **values)
