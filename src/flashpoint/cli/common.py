"""The ``flashpoint`` command line, shared parts: the app, its options, parsing and rendering helpers."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Column, Table
from typer.rich_utils import rich_format_error

from flashpoint import __version__
from flashpoint.config import Settings, load_settings
from flashpoint.errors import FlashpointError, InvalidInput
from flashpoint.wording import span

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow as pa

    from flashpoint.store.ingest import IngestResult

app = typer.Typer(
    help="Flashpoint: early warning of military escalation between states.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


@contextmanager
def read_store(settings: Settings, /) -> Iterator[duckdb.DuckDBPyConnection]:
    """The store, read-only, named on stderr when stderr is a terminal, and said to be empty when it
    holds no events and no score series (whatever the command then prints, or does not)."""
    from flashpoint.store.connection import open_store

    with open_store(settings, read_only=True) as con:
        events = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
        if not events and not con.execute("SELECT count(*) FROM pair_series").fetchall()[0][0]:
            err.print(
                f"the store {settings.db} holds no events: build the demo ('flashpoint demo', then --db or "
                "FLASHPOINT_DB as it says), ingest your own ('flashpoint ingest …'), or name another with --db.",
                highlight=False,
            )
        elif err.is_terminal:
            err.print(f"[dim]store: {settings.db} ({events:,} events)[/dim]", highlight=False)
        yield con


@contextmanager
def progress_steps(what: str, /) -> Iterator[Callable[[int, int, str], None]]:
    """A progress bar on stderr for a run of counted steps: yields ``step(done, total, detail)``.
    The bar is gone when the block ends (the result is printed in its place)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(what, total=None)

        def step(done: int, total: int, detail: str) -> None:
            bar.update(task, completed=done, total=total, description=f"{what}: {detail}")

        yield step


#: Options several commands share.
PairOption = Annotated[str, typer.Option(help="Country pair A-B.")]
AsOfDayOption = Annotated[Optional[str], typer.Option(help="As of this day, YYYY-MM-DD (default: the store's last event).")]


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


class ListFormat(str, Enum):
    """Output of results that do not fit one CSV table."""

    table = "table"
    json = "json"


def _version(value: bool) -> None:
    if value:
        out.print(f"flashpoint {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[Optional[Path], typer.Option(help="Event store file (env FLASHPOINT_DB).")] = None,
    config: Annotated[Optional[Path], typer.Option(help="Settings file (default ./flashpoint.toml).")] = None,
    engine: Annotated[
        Optional[str],
        typer.Option(
            help="Where ingest and deduplication run: duckdb (default), or spark over a Parquet lake (env FLASHPOINT_ENGINE)."
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Flashpoint: early warning of military escalation between states."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, handlers=[RichHandler(console=err)], format="%(message)s"
    )
    ctx.obj = load_settings(config_file=config, overrides={"db": db, "engine": engine})


def KEPT(header: str) -> Column:  # noqa: N802 - reads as a column kind in a table's header list
    """A column whose values a narrow terminal never cuts (dates, periods): the others give way."""
    return Column(header, no_wrap=True)


def results_table(results: list[IngestResult]) -> Table:
    table = Table("file", "format", "read", "stored", "duplicates", "quarantined", title="Ingest")
    for r in results:
        name = Path(r.path.split("!")[-1]).name
        if r.skipped:
            table.add_row(name, r.format, "-", "-", "-", "-", style="dim", end_section=False)
        else:
            table.add_row(
                name,
                r.format,
                f"{r.rows_read:,}",
                f"{r.rows_stored:,}",
                f"{r.rows_duplicate:,}",
                f"{r.rows_quarantined:,}",
                style="red" if r.rows_quarantined else None,
            )
    return table


def parse_date(value: Optional[str], option: str) -> Optional[dt.date]:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option} {value!r}: expected a date as YYYY-MM-DD, e.g. 2012-01-31.") from None


def parse_dyad(value: Optional[str]) -> Optional[tuple[str, str]]:
    from flashpoint.events.countries import resolve_dyad

    return None if value is None else resolve_dyad(value, label="--dyad")


def parse_cameo(value: Optional[str]) -> Optional[str]:
    if value is not None and not (value.isdigit() and 2 <= len(value) <= 4):
        raise InvalidInput(f"--cameo {value!r}: expected a CAMEO code or root of 2-4 digits, e.g. 13 or 138.")
    return value


def write_rows(rows: pa.Table, fmt: OutputFormat) -> None:
    """Rows as JSON or CSV on stdout."""
    import pyarrow.csv as pacsv

    if fmt is OutputFormat.json:
        out.print_json(json.dumps(rows.to_pylist(), default=str))
    else:
        pacsv.write_csv(rows, sys.stdout.buffer)


def render_events(rows: pa.Table, fmt: OutputFormat, title: str) -> None:
    if fmt is not OutputFormat.table:
        write_rows(rows, fmt)
    else:
        table = Table(KEPT("date"), "actor 1", "actor 2", "cameo", "goldstein", "location", "source url", title=title)
        for r in rows.to_pylist():
            table.add_row(
                str(r["event_date"]),
                f"{r['actor1_iso3'] or ''} {r['actor1_name'] or ''}".strip(),
                f"{r['actor2_iso3'] or ''} {r['actor2_name'] or ''}".strip(),
                r["cameo_code"],
                f"{r['goldstein']:+.1f}",
                r["location_iso3"] or "",
                r["source_url"] or "",
            )
        out.print(table)


class Frequency(str, Enum):
    day = "day"
    week = "week"
    month = "month"
    year = "year"


@dataclass(frozen=True)
class Coverage:
    """What the store covers, for the captions of a table of periods at ``freq``: its gap
    periods (:func:`flashpoint.store.coverage.gap_periods`) and its last event's day."""

    freq: str
    gaps: tuple[dt.date, ...] = ()
    last_day: dt.date | None = None

    def gap_note(self, first: dt.date, last: dt.date) -> str | None:
        """The gaps from period ``first`` to ``last``, consecutive ones as one span; None without any."""
        import pandas as pd

        from flashpoint.periods import period_end, period_label

        within = sorted(gap for gap in self.gaps if first <= gap <= last)
        if not within:
            return None
        after = dict(zip(within, period_end(pd.Series(within), self.freq) + dt.timedelta(days=1), strict=True))
        runs: list[list[dt.date]] = []
        for gap in within:
            if runs and after[runs[-1][-1]] == gap:
                runs[-1].append(gap)
            else:
                runs.append([gap])
        named = ", ".join(span(period_label(run[0], self.freq), period_label(run[-1], self.freq)) for run in runs)
        return (
            f"no data for {named}: a gap in the store's data (its main source delivered nothing), left out of "
            "the counts and of the baselines"
        )

    def caption(self, first: dt.date, last: dt.date) -> str | None:
        """The table's caption: :meth:`gap_note`, and whether period ``last`` is still under way
        (the store's events end before it does, so its counts may still rise); None for neither."""
        import pandas as pd

        from flashpoint.periods import period_end, period_label

        notes = [self.gap_note(first, last)]
        if self.last_day is not None and last <= self.last_day < period_end(pd.Series([last]), self.freq).iloc[0]:
            notes.append(
                f"{period_label(last, self.freq)} is not over: the store's events end on {self.last_day}, "
                "so its counts may still rise"
            )
        return "; ".join(note for note in notes if note) or None


def read_coverage(con: duckdb.DuckDBPyConnection, freq: str, /) -> Coverage:
    """The store's :class:`Coverage` for periods at ``freq``."""
    from flashpoint.store.coverage import gap_periods
    from flashpoint.store.queries import last_event_date

    return Coverage(freq, tuple(gap_periods(con, freq)), last_event_date(con))


def write_frame(frame: pd.DataFrame, fmt: OutputFormat, title: str, table: Callable[[pd.DataFrame, str], Table]) -> None:
    import pyarrow as pa

    if fmt is OutputFormat.table:
        out.print(table(frame, title))
    else:
        write_rows(pa.Table.from_pandas(frame, preserve_index=False), fmt)


def print_actor_coverage(found: dict) -> None:
    """How many rows were placed between two states, how many have an actor of no country (with
    the most frequent such names), and how many are of low confidence (:func:`actor_coverage`)."""
    from flashpoint.events.confidence import CONFIDENT

    rows = found["rows"]
    if not rows:
        return
    share = lambda n: f"{n:,} ({n / rows:.0%})"  # noqa: E731
    out.print(
        f"of {rows:,} rows: {share(found['in_pair'])} between two states, {share(found['both_countries'])} "
        f"with both actors' countries known, {share(found['no_country'])} with an actor of no country, "
        f"{share(found['low_confidence'])} below confidence {CONFIDENT:g}",
        highlight=False,
    )
    if found["unresolved"]:
        out.print(
            "most frequent actors of no country: " + ", ".join(f"{u['name']} ({u['rows']:,})" for u in found["unresolved"]),
            highlight=False,
        )


def print_alerts(frame: pd.DataFrame) -> None:
    """Each alert as a heading line (when, pair, level, stage, index, triggers, ids) and its why."""
    import pandas as pd

    from flashpoint.escalation.ladder import STAGES

    colours = {"critical": "bold red", "warning": "yellow", "watch": "cyan"}
    for r in frame.itertuples():
        stage = "" if pd.isna(r.stage) else f"stage {int(r.stage)} {STAGES[int(r.stage)]}  "
        previous = f", previous {r.previous_alert_id}" if pd.notna(r.previous_alert_id) else ""
        chance = (
            f"probability {r.probability:.1%} (base rate {r.base_rate:.2%})  "
            if "probability" in frame and pd.notna(r.probability)
            else ""
        )
        basis = "" if r.basis == "events" else f"[dim]{r.basis}[/dim]  "  # a series' alert says so
        out.print(
            f"{r.as_of.date()}  [bold]{r.pair}[/bold]  [{colours[r.level]}]{r.level}[/]  {basis}{chance}{stage}"
            f"index {r.escalation_index:.1f}  ({', '.join(r.triggers)}; id {r.alert_id}{previous})",
            highlight=False,
        )
        out.print(f"    {r.why}", highlight=False)
        for event in json.loads(r.evidence or "[]")[:3]:
            where = event.get("source_url") or event.get("source") or ""
            label = (
                f"{event['event_date'][:10]} {event.get('actor1_iso3')}→{event.get('actor2_iso3')} "
                f"{event.get('cameo_code')} {event.get('cameo_name')}"
                if "event_id" in event
                else f"{event['date'][:10]} value {event['value']:.1f}"
            )
            out.print(f"      · {label} {where}", highlight=False)


#: What DuckDB raises (a RuntimeError) when Ctrl-C stops one of its queries.
_QUERY_INTERRUPTED = "Query interrupted"
#: The exit code of a command stopped by Ctrl-C (Typer's, for a Ctrl-C outside a query).
_INTERRUPTED = 130


def main() -> None:
    """Console entry point: runs the command named on the command line.

    Raises
    ------
    SystemExit
        Always, with the exit code: 0 when the command succeeded; 1 for a FlashpointError, shown
        as one line on stderr; 2 for a usage error (an unknown command or option, a value out of
        range), with Typer's message; 130 for Ctrl-C, in Python or in a running query.
    """
    try:
        code = app(standalone_mode=False)
    except FlashpointError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(1)
    except typer.Abort:
        err.print("aborted")
        sys.exit(_INTERRUPTED)
    except typer.TyperException as exc:
        rich_format_error(exc)
        sys.exit(exc.exit_code)
    except RuntimeError as exc:
        if str(exc) != _QUERY_INTERRUPTED:
            raise
        code = _INTERRUPTED
    if code == _INTERRUPTED:
        err.print(
            "interrupted: what was being written was rolled back, and the store holds what finished "
            "before (files already ingested stay; if deduplication was cut short, run 'flashpoint dedup')."
        )
    sys.exit(code if isinstance(code, int) else 0)
