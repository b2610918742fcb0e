"""Settings: one typed object, loaded at the edge and passed down.

Precedence: defaults < ``flashpoint.toml`` (current directory, or ``--config``) <
``FLASHPOINT_*`` environment variables < command-line flags.
"""

from __future__ import annotations

import os
import re
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
    layout_share : float
        The events are laid out again by pair when the rows appended since the last layout
        exceed this share of the store (``FLASHPOINT_LAYOUT_SHARE``; docs/adr/016).
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
    alert_freq : str
        Period of the escalation ladder and alerts on events: day, week, month or year
        (``FLASHPOINT_ALERT_FREQ``).
    alert_baseline_periods : int
        Trailing periods of each pair's own baseline for the z-scores behind the escalation
        index (``FLASHPOINT_ALERT_BASELINE_PERIODS``).
    alert_method : str
        ``probability`` (default): warnings come from the 30-day warning model, a critical alert is
        a warning with corroborated evidence, and stage rises and change points are watch signals;
        ``index``: stage rises and change points raise every level by the escalation index, the
        method before the warning model (``FLASHPOINT_ALERT_METHOD``, docs/adr/025).
    alert_watch_index, alert_warning_index, alert_critical_index : float
        Escalation index a change point must reach to raise a watch, warning or critical alert
        (``FLASHPOINT_ALERT_WATCH_INDEX`` …); the index is a weighted sum of z-scores. With the
        ``probability`` method only the watch threshold applies.
    warning_horizon_days : int
        The warning model's horizon: the probability is of an onset within this many days after
        the period (``FLASHPOINT_WARNING_HORIZON_DAYS``).
    warning_false_alarms : float
        False alarms per pair-year the warning threshold allows on the training period
        (``FLASHPOINT_WARNING_FALSE_ALARMS``).
    warning_model : str
        ``logit`` (penalised logistic regression) or ``boosting`` (gradient-boosted trees), both
        calibrated (``FLASHPOINT_WARNING_MODEL``).
    warning_refit_days : int
        Days between the warning model's refits along the store's history (``FLASHPOINT_WARNING_REFIT_DAYS``).
    warning_min_onsets : int
        Onsets the model must know before it gives a probability (``FLASHPOINT_WARNING_MIN_ONSETS``).
    warning_onsets : Path or None
        A CSV of further onsets (``iso3_a``, ``iso3_b``, ``onset_date``) the model learns from, besides
        the lists shipped with Flashpoint (``FLASHPOINT_WARNING_ONSETS``).
    reference_data : Path or None
        A folder laid out like the shared data (``peacesciencer/``, ``consequences/``): the disputes,
        wars, refugee flows, trade and growth the consequences of escalation are estimated from
        (``FLASHPOINT_REFERENCE_DATA``); without it, briefs and pages say they have none.
    redline_first_lookback_days : int
        A red line declared ``first`` (first use of force) is crossed when the pair had no such
        crossing in this many days before, and the store's data reach back that far
        (``FLASHPOINT_REDLINE_FIRST_LOOKBACK_DAYS``): never by the first event of a new store.
    alert_critical_reports : int
        Independent reports a critical alert needs (``FLASHPOINT_ALERT_CRITICAL_REPORTS``): its
        trigger events' incidents must together be reported by at least this many sources, or
        one of them be human-coded; else it is raised as a warning, saying why.
    alert_min_confidence : float
        A warning or critical alert resting on one report needs an event confidence of at least
        this (``FLASHPOINT_ALERT_MIN_CONFIDENCE``, docs/events.md); else it is raised as a watch.
    changepoint_hazard_periods : float
        Online Bayesian change-point detection: the expected number of periods between changes
        in a pair's index (``FLASHPOINT_CHANGEPOINT_HAZARD_PERIODS``).
    changepoint_probability : float
        Posterior probability that the index changed within the last ``changepoint_recent``
        periods needed to fire a change point (``FLASHPOINT_CHANGEPOINT_PROBABILITY``).
    changepoint_recent : int
        How recent a change must be, in periods, to count as one now (``FLASHPOINT_CHANGEPOINT_RECENT``).
    stage_min_incidents : int
        A pair with fewer incidents than this in the weeks its stage is read from (a brief's,
        a recommendation's) has no stage: "not enough data", never "stable"
        (``FLASHPOINT_STAGE_MIN_INCIDENTS``).
    ladder_min_incidents : float
        Ladder: incidents per week a stage's events must reach besides their share (scaled to
        the period's length; ``FLASHPOINT_LADDER_MIN_INCIDENTS``).
    ladder_verbal_share, ladder_coercion_share, ladder_force_share, ladder_major_share : float
        Ladder: share of the pair's incidents in the period that hostile rhetoric (stage 1),
        coercion (stage 2), force (stage 3) and force again (stage 4) must reach
        (``FLASHPOINT_LADDER_VERBAL_SHARE`` …).
    ladder_major_incidents : float
        Ladder: force incidents per week for stage 4, major armed conflict (``FLASHPOINT_LADDER_MAJOR_INCIDENTS``).
    alerts_jsonl : Path or None
        ``flashpoint watch`` appends each new alert to this JSON-lines file (``FLASHPOINT_ALERTS_JSONL``).
    webhook_url : str or None
        ``flashpoint watch`` POSTs each new alert as JSON to this URL, retried with back-off
        (``FLASHPOINT_WEBHOOK_URL``).
    webhook_retries : int
        Attempts per alert before the watch leaves it for the next cycle (``FLASHPOINT_WEBHOOK_RETRIES``).
    watch_interval_seconds : float
        Seconds between polls of GDELT's ``lastupdate.txt`` (``FLASHPOINT_WATCH_INTERVAL_SECONDS``).
    api_token : str or None
        Bearer token that ``flashpoint serve``'s write and admin endpoints (ingest, settings)
        require (``FLASHPOINT_API_TOKEN``); without one they answer 401 to everybody. Never printed.
    api_allowed_hosts : str
        Comma-separated host names the server answers (``FLASHPOINT_API_ALLOWED_HOSTS``); a request
        naming another Host gets 400 (DNS rebinding). Add the name clients use when serving beyond
        this machine; '*' answers any.
    api_import_dir : Path or None
        The only folder ``POST /api/ingest`` reads (``FLASHPOINT_API_IMPORT_DIR``): paths are
        relative to it and none leads out of it; without it, server-side ingest is off (403).
    api_cors_origins : str
        Comma-separated origins allowed to call the API from a browser (``FLASHPOINT_API_CORS_ORIGINS``);
        empty: CORS off.
    engine : str
        Where ingest, deduplication and the weekly pair counts run (``--engine``, ``FLASHPOINT_ENGINE``):
        ``duckdb`` (default) in the store file; ``spark`` as Spark jobs over a Parquet lake
        (``lake``), which the store then reads (docs/scale.md; ``pip install -e '.[spark]'``).
    spark_master : str
        The Spark master the ``spark`` engine connects to (``FLASHPOINT_SPARK_MASTER``): ``local[*]``
        runs on this machine's cores; ``spark://host:7077``, ``yarn``, ... on a cluster.
    lake : Path or None
        The Parquet lake of the ``spark`` engine (``FLASHPOINT_LAKE``); default: the store file's
        name with ``.lake`` beside it.
    """

    db: Path
    memory_limit: str = "4GB"
    temp_directory: Path | None = None
    threads: int = 0
    dedup_window_days: int = 1
    dedup_cell_degrees: float = 0.5
    layout_share: float = 0.02
    gdelt_base_url: str = "http://data.gdeltproject.org"
    download_dir: Path | None = None
    redlines_file: Path | None = None
    acled_base_url: str = "https://acleddata.com"
    acled_username: str | None = None
    acled_password: str | None = field(default=None, repr=False)
    alert_freq: str = "week"
    alert_baseline_periods: int = 12
    alert_method: str = "probability"
    alert_watch_index: float = 1.0
    alert_warning_index: float = 2.0
    alert_critical_index: float = 4.0
    alert_critical_reports: int = 2
    alert_min_confidence: float = 0.5
    warning_horizon_days: int = 30
    warning_false_alarms: float = 1.0
    warning_model: str = "logit"
    warning_refit_days: int = 91
    warning_min_onsets: int = 3
    warning_onsets: Path | None = None
    reference_data: Path | None = None
    redline_first_lookback_days: int = 365
    changepoint_hazard_periods: float = 52.0
    changepoint_probability: float = 0.5
    changepoint_recent: int = 2
    stage_min_incidents: int = 5
    ladder_min_incidents: float = 3.0
    ladder_verbal_share: float = 0.15
    ladder_coercion_share: float = 0.15
    ladder_force_share: float = 0.10
    ladder_major_share: float = 0.25
    ladder_major_incidents: float = 25.0
    alerts_jsonl: Path | None = None
    webhook_url: str | None = None
    webhook_retries: int = 4
    watch_interval_seconds: float = 60.0
    api_token: str | None = field(default=None, repr=False)
    api_allowed_hosts: str = "127.0.0.1,localhost,::1"
    api_import_dir: Path | None = None
    api_cors_origins: str = ""
    engine: str = "duckdb"
    spark_master: str = "local[*]"
    lake: Path | None = None


_ENV_PREFIX = "FLASHPOINT_"


#: Settings that must be above zero (the other numbers may be zero).
_POSITIVE = frozenset(
    {
        "dedup_cell_degrees",
        "alert_baseline_periods",
        "changepoint_hazard_periods",
        "changepoint_recent",
        "webhook_retries",
        "watch_interval_seconds",
        "alert_critical_reports",
        "redline_first_lookback_days",
        "warning_horizon_days",
        "warning_refit_days",
        "warning_min_onsets",
    }
)
_CHOICES = {
    "alert_freq": ("day", "week", "month", "year"),
    "alert_method": ("probability", "index"),
    "warning_model": ("logit", "boosting"),
    "engine": ("duckdb", "spark"),
}
#: What the URL settings take (feeds, the ACLED API, the webhook).
_URL = re.compile(r"https?://(\[[0-9a-f:.]+\]|[^\s/:\[\]]+)(:\d+)?(/\S*)?", re.IGNORECASE)
#: A memory size DuckDB reads: a number and a unit, or a share of the machine's memory.
_MEMORY = re.compile(r"\s*\d+(\.\d+)?\s*([KMGT]i?B|B|%)\s*", re.IGNORECASE)


def _coerce(name: str, value: object, origin: str) -> object:
    kind = _TYPES[name]
    if "Path" in kind:
        return Path(str(value)).expanduser()
    if kind in ("int", "float"):
        try:
            number = int(str(value)) if kind == "int" else float(str(value))
        except ValueError:
            expected = "a whole number" if kind == "int" else "a number"
            raise InvalidInput(f"setting '{name}' from {origin}: expected {expected}, got {value!r}.") from None
        if number < 0 or (name in _POSITIVE and number == 0):
            raise InvalidInput(f"setting '{name}' from {origin}: expected a positive value, got {value!r}.")
        return number
    if name.endswith("_url") and not _URL.fullmatch(str(value)):
        raise InvalidInput(f"setting '{name}' from {origin}: expected an http:// or https:// URL, got {value!r}.")
    if name == "memory_limit" and not _MEMORY.fullmatch(str(value)):
        raise InvalidInput(f"setting 'memory_limit' from {origin}: expected a size such as 4GB, 512MiB or 80%, got {value!r}.")
    if name in _CHOICES and str(value) not in _CHOICES[name]:
        raise InvalidInput(f"setting '{name}' from {origin}: use one of {', '.join(_CHOICES[name])}, got {value!r}.")
    return str(value)


_TYPES = {f.name: str(f.type) for f in fields(Settings)}


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
                f"settings file {path}: unknown setting(s) {', '.join(unknown)}; known settings are {', '.join(sorted(known))}."
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


def with_overrides(settings: Settings, overrides: Mapping[str, object | None], /) -> Settings:
    """``settings`` with a command's own options (setting name → value; ``None`` keeps the
    setting), each checked as a setting is.

    Raises
    ------
    InvalidInput
        Naming the setting and what it expects.
    """
    return replace(
        settings, **{name: _coerce(name, value, "the command line") for name, value in overrides.items() if value is not None}
    )
