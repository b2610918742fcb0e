"""Commands to start with: countries, cite a source, the demo."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from flashpoint.cli.common import (
    Coverage,
    OutputFormat,
    app,
    out,
    print_alerts,
    render_events,
    results_table,
)
from flashpoint.cli.indicators import indicators_table
from flashpoint.cli.store import print_gaps, sources_table
from flashpoint.config import Settings
from flashpoint.consequences.tables import TABLES
from flashpoint.sources import SOURCES
from flashpoint.wording import quantity

if TYPE_CHECKING:
    from flashpoint.demo import DemoSummary


@app.command()
def countries(search: Annotated[Optional[str], typer.Option(help="Text in a name or code.")] = None) -> None:
    """Countries and their codes (ISO3, ISO2, FIPS 10-4)."""
    from flashpoint.events.countries import search_countries

    found = search_countries(search)
    table = Table("iso3", "iso2", "fips10_4", "name", title=f"{len(found)} countries")
    for c in found:
        table.add_row(c.iso3, c.iso2, c.fips10_4 or "", c.name)
    out.print(table)


@app.command()
def cite(
    source: Annotated[
        str,
        typer.Argument(
            help=f"An event source ({', '.join(sorted(SOURCES))}) or a reference table ({', '.join(sorted(TABLES))})."
        ),
    ],
) -> None:
    """Print how to cite a data source or reference table, and its licence."""
    from flashpoint.sources import get_source

    if source.lower() in TABLES:
        table = TABLES[source.lower()]
        citation, licence = table.citation, table.licence
    else:
        module = get_source(source)
        citation, licence = module.CITATION, module.LICENSE
    out.print(f"[bold]Citation[/bold]\n{citation}\n\n[bold]Licence[/bold]\n{licence}")


@app.command()
def demo(
    ctx: typer.Context,
    out_db: Annotated[Optional[Path], typer.Option("--out", help="Store to build (replaced if present).")] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Then serve the dashboard on the demo store.")] = False,
    port: Annotated[int, typer.Option(help="Port of the dashboard with --serve.", min=1, max=65535)] = 8765,
) -> None:
    """Build a fresh demo store from the bundled GDELT slice and show what it holds."""
    from flashpoint.cli.serve import check_address, serve_dashboard
    from flashpoint.demo import default_demo_db, run_demo

    if serve:  # before the store is built, not after
        check_address("127.0.0.1", port)
    settings: Settings = ctx.obj
    db = out_db or default_demo_db()
    summary = run_demo(replace(settings, db=db))
    _print_demo(summary)
    if serve:
        serve_dashboard(replace(settings, db=db), host="127.0.0.1", port=port)


def _print_demo(summary: DemoSummary) -> None:
    out.print(results_table(summary.ingest))
    out.print(sources_table(summary.stats, f"Demo store {summary.db}"))
    events_count, incidents = summary.stats["events"], summary.stats["incidents"]
    out.print(
        f"{incidents:,} incidents after deduplication: {1 - incidents / max(events_count, 1):.0%} of the "
        f"rows repeat an incident another row already reports (docs/dedup.md)."
    )
    print_gaps(summary.stats)
    pairs = Table("country pair", "events", title="Busiest country pairs")
    for row in summary.stats["top_dyads"]:
        pairs.add_row(row["dyad"], f"{row['events']:,}")
    out.print(pairs)
    render_events(summary.dyad_events, OutputFormat.table, f"Latest {'-'.join(summary.dyad)} events")
    pair = "-".join(summary.dyad)
    out.print(
        indicators_table(
            summary.indicators,
            f"{pair} warning indicators, last six months: value (z-score)",
            "month",
            coverage=Coverage("month", tuple(summary.gap_months)),
        )
    )
    for r in summary.crossings.itertuples():
        out.print(
            f"red line [bold]{r.rule}[/bold] crossed by {r.pair} in {r.period:%Y-%m}: "
            f"{quantity(r.incidents, 'incident')}, events {', '.join(list(r.event_ids)[:3])}"
        )
    out.print("\n[bold]Latest warning alerts[/bold] (all pairs, weekly; 'flashpoint alerts' lists every level)")
    print_alerts(summary.alerts)
    f = summary.forecast
    told = (
        f"{f.note}"
        if f.probability is None
        else f"{f.probability:.2%} (90% interval {f.interval[0]:.2%}–{f.interval[1]:.2%}); "
        + "; ".join(f"{k} {v:.2%}" for k, v in f.baselines.items())
    )
    out.print(f"\n[bold]Forecast[/bold] {pair}: P(stage ≥ 3 within {f.horizon} months of {f.as_of}): {told}", highlight=False)
    out.print(
        f"[bold]Levers[/bold] for {pair}: " + "; ".join(f"{r.title} ({r.points:+g})" for r in summary.levers[:3]), highlight=False
    )
    out.print(
        f"Explore it: flashpoint --db {summary.db} events --dyad {pair} --cameo 11 --show-sources\n"
        f"            flashpoint --db {summary.db} explain --dyad {pair} --period 2012-12 --indicator rhetoric\n"
        f"            flashpoint --db {summary.db} alerts --level warning\n"
        f"            flashpoint --db {summary.db} ladder --dyad KOR-PRK --since 2013-01-01\n"
        f"            flashpoint --db {summary.db} forecast --dyad {pair}\n"
        f"            flashpoint --db {summary.db} respond --dyad {pair}\n"
        f"Or make it the store every command reads: export FLASHPOINT_DB={summary.db}",
        highlight=False,
        soft_wrap=True,
    )
