"""``flashpoint ingest`` and ``flashpoint fetch``: files and feeds into the store."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from flashpoint.cli.common import (
    app,
    err,
    out,
    parse_date,
    print_actor_coverage,
    results_table,
)
from flashpoint.config import Settings, default_download_dir
from flashpoint.errors import InvalidInput
from flashpoint.wording import quantity

if TYPE_CHECKING:
    import duckdb

    from flashpoint.sources.tabular import Reader

ingest_app = typer.Typer(
    help="Ingest event files, and auxiliary tables (military spending, measures, crises, terminations), into the store.",
    no_args_is_help=True,
)
app.add_typer(ingest_app, name="ingest")
fetch_app = typer.Typer(help="Download source files, check them, and ingest them.", no_args_is_help=True)
app.add_typer(fetch_app, name="fetch")


class GdeltFormat(str, Enum):
    auto = "auto"
    gdelt1 = "gdelt1"
    gdelt2 = "gdelt2"


@contextmanager
def _watch_progress(con: duckdb.DuckDBPyConnection, progress: Progress, task: TaskID) -> Iterator[None]:
    """Move ``task`` with the engine's progress on its running query (polled from a thread)."""
    con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.2):
            done = con.query_progress()
            if done >= 0:
                progress.update(task, completed=done)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
        con.execute("SET enable_progress_bar = false")


def _ingest(settings: Settings, paths: list[str], reader: Reader, forced: str = "auto") -> None:
    from flashpoint.refresh import ingest_files
    from flashpoint.sources.tabular import EVENTS
    from flashpoint.store.connection import open_store
    from flashpoint.store.queries import actor_coverage

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with progress, open_store(settings) as con:
        task = progress.add_task("ingesting", total=100)
        files = itertools.count(1)
        with _watch_progress(con, progress, task):
            results = ingest_files(
                con,
                settings,
                paths,
                reader=reader,
                forced=forced,
                on_start=lambda name, size: progress.update(
                    task,
                    completed=0,
                    description=f"file {next(files)}: {Path(name.split('!')[-1]).name} ({size / 1e6:,.0f} MB)",
                ),
                on_settle=lambda: progress.update(
                    task, description="deduplicating; updating weekly counts and pair timelines", completed=0
                ),
            )
        new = [r.ingest_id for r in results if r.ingest_id is not None]
        placed = actor_coverage(con, ingest_ids=new) if new and reader.TARGET == EVENTS else None
    out.print(results_table(results))
    quarantined = sum(r.rows_quarantined for r in results)
    skipped = sum(r.skipped for r in results)
    out.print(
        f"{sum(r.rows_stored for r in results):,} {reader.TARGET.noun} stored in {_where(settings, reader)}"
        + (f"; {quantity(skipped, 'file')} skipped (already ingested)" if skipped else "")
        + (f"; {quarantined:,} rows quarantined (see 'flashpoint quarantine')" if quarantined else "")
    )
    for result in results:
        if result.unended_line is not None:
            out.print(
                f"note: {result.path} ends without a line break: its last row (line {result.unended_line:,}) "
                "was stored; if the file was cut short (a download interrupted), that row may be cut."
            )
    if placed is not None:
        print_actor_coverage(placed)


def _where(settings: Settings, reader: Reader) -> str:
    """Where an ingest stores its rows: the store, or for events on Spark the lake the store reads."""
    from flashpoint.sources.tabular import EVENTS

    if settings.engine == "spark" and reader.TARGET == EVENTS:
        from flashpoint.lake.folders import lake_path

        return f"the lake {lake_path(settings)} (read by the store {settings.db})"
    return str(settings.db)


_PATHS_HELP = "Files, folders or globs (plain, .gz or .zip)."


@ingest_app.command("gdelt")
def ingest_gdelt(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help=_PATHS_HELP)],
    format: Annotated[GdeltFormat, typer.Option("--format", help="Force the GDELT version.")] = GdeltFormat.auto,
) -> None:
    """Ingest GDELT 1.0/2.0 event files (TSV exports, CSV with header, Parquet)."""
    from flashpoint.sources import gdelt

    _ingest(ctx.obj, paths, gdelt, format.value)


@ingest_app.command("csv")
def ingest_csv(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help=_PATHS_HELP)],
    mapping: Annotated[Path, typer.Option(help="TOML file mapping the CSV's columns to event fields.")],
) -> None:
    """Ingest any CSV of events described by a TOML mapping (columns, code systems, event types)."""
    from flashpoint.sources.csv_mapped import MappedCsvReader, load_mapping

    _ingest(ctx.obj, paths, MappedCsvReader(load_mapping(mapping)))


#: The sources whose command takes only paths: command name (the source's, :data:`flashpoint.sources.SOURCES`) → help.
_PATHS_ONLY: dict[str, str] = {
    "acled": "Ingest ACLED exports (CSV with header, Parquet, or the API's JSON rows).",
    "ucdp": "Ingest UCDP GED exports (CSV with header, Parquet, or the API's JSON rows).",
    "milex": "Ingest military expenditure: SIPRI sheets exported to CSV (milex_<sheet>.csv) or COW NMC.",
    "measures": "Ingest measures (sanctions, ceasefires, mediation, hotlines, ...): date, actor, target, measure, source.",
    "crises": "Ingest International Crisis Behavior crises (the system-level file, one row per crisis).",
    "terminations": "Ingest the UCDP Conflict Termination dataset (conflict episodes, how and when they ended).",
    "polecat": "Ingest POLECAT weekly files (PLOVER event types mapped to CAMEO).",
    "icews": "Ingest ICEWS: Dataverse event files, or name-based quadruples (actor, event text, actor, date).",
}


def _paths_only(source: str) -> Callable[..., None]:
    """The command ingesting the files of the source named ``source`` (its reader loads when it runs)."""

    def command(ctx: typer.Context, paths: Annotated[list[str], typer.Argument(help=_PATHS_HELP)]) -> None:
        from flashpoint.sources import get_source

        _ingest(ctx.obj, paths, get_source(source))

    return command


for _name, _help in _PATHS_ONLY.items():
    ingest_app.command(_name, help=_help)(_paths_only(_name))


@ingest_app.command("series")
def ingest_series(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help=_PATHS_HELP)],
    value_column: Annotated[str, typer.Option(help="Column holding the pair's daily score (negative = conflict).")],
    name: Annotated[Optional[str], typer.Option(help="Series name (default: the value column's name).")] = None,
) -> None:
    """Ingest a daily pair score series: date, iso3_a, iso3_b and a value column."""
    from flashpoint.sources.series import SeriesReader

    _ingest(ctx.obj, paths, SeriesReader(value_column, series=name))


@fetch_app.command("gdelt")
def fetch_gdelt(
    ctx: typer.Context,
    since: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    until: Annotated[Optional[str], typer.Option(help="Last day, YYYY-MM-DD (default: today).")] = None,
    version: Annotated[int, typer.Option(help="GDELT version: 1 (daily) or 2 (15-minute).", min=1, max=2)] = 2,
) -> None:
    """Download GDELT event exports in a date range (MD5-checked, resumable) and ingest them."""
    from flashpoint.sources import gdelt
    from flashpoint.sources.gdelt_fetch import fetch as fetch_gdelt_files

    settings: Settings = ctx.obj
    first = parse_date(since, "--since")
    last = parse_date(until, "--until") or dt.date.today()
    folder = (settings.download_dir or default_download_dir()) / f"gdelt{version}"
    with err.status("reading GDELT's file list") as status:
        result = fetch_gdelt_files(
            base_url=settings.gdelt_base_url,
            version=version,
            since=first,
            until=last,
            folder=folder,
            on_file=lambda name: status.update(f"fetching {name}"),
        )
    out.print(f"{quantity(len(result.ready), 'file')} ready in {folder} ({len(result.downloaded)} downloaded now)")
    if result.ready:
        _ingest(settings, [str(p) for p in result.ready], gdelt)
    for name, reason in result.refused:
        err.print(f"[red]refused[/red] {name}: {reason}", highlight=False)
    if result.refused:
        raise InvalidInput(
            f"{quantity(len(result.refused), 'file')} refused and not ingested; run the command again to "
            "retry them (partial downloads resume)."
        )


@fetch_app.command("acled")
def fetch_acled(
    ctx: typer.Context,
    country: Annotated[str, typer.Option(help="Country as ACLED names it, e.g. Ukraine.")],
    since: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    until: Annotated[Optional[str], typer.Option(help="Last day, YYYY-MM-DD (default: today).")] = None,
    page_size: Annotated[int, typer.Option(min=1, max=5000, help="Rows per API page (ACLED allows 5,000).")] = 5000,
) -> None:
    """Download ACLED events through its API (OAuth, paged, rate limits respected) and ingest them."""
    from flashpoint.sources import acled
    from flashpoint.sources.acled_fetch import fetch as fetch_acled_pages

    settings: Settings = ctx.obj
    folder = (settings.download_dir or default_download_dir()) / "acled"
    with err.status("asking ACLED for a token") as status:
        pages = fetch_acled_pages(
            base_url=settings.acled_base_url,
            username=settings.acled_username,
            password=settings.acled_password,
            country=country,
            since=parse_date(since, "--since"),
            until=parse_date(until, "--until") or dt.date.today(),
            folder=folder,
            page_size=page_size,
            on_page=lambda page, rows: status.update(f"page {page}: {rows:,} rows"),
        )
    out.print(f"{quantity(len(pages), 'page')} saved in {folder}")
    if pages:
        _ingest(settings, [str(p) for p in pages], acled)
