"""Commands on the store's contents: stats, events, dedup, quarantine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from flashpoint.cli.common import (
    KEPT,
    OutputFormat,
    app,
    out,
    parse_cameo,
    parse_date,
    parse_dyad,
    print_actor_coverage,
    read_store,
    render_events,
    write_rows,
)
from flashpoint.wording import quantity, span

if TYPE_CHECKING:
    import pyarrow as pa


def sources_table(found: dict[str, object], title: str) -> Table:
    table = Table("source", "coding", "events", "first", "last", title=title)
    for row in found["sources"]:  # type: ignore[attr-defined]
        table.add_row(row["source"], row["coding"], f"{row['events']:,}", row["first_date"], row["last_date"])
    return table


@app.command()
def stats(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """What the store holds: events by source and coding, dates, incidents, pairs, quarantine."""
    from flashpoint.store.queries import store_stats

    with read_store(ctx.obj) as con:
        found = store_stats(con)
    if as_json:
        out.print_json(json.dumps(found))
        return
    out.print(sources_table(found, f"{found['events']:,} events in {ctx.obj.db}"))
    out.print(
        f"{found['incidents']:,} incidents after deduplication, {found['dyads']:,} country pairs, "
        f"{found['countries']:,} countries, {found['files']:,} files, {found['quarantined']:,} quarantined rows, "
        f"{found['milex']:,} military expenditure values"
    )
    print_gaps(found)
    print_actor_coverage(found["actors"])


def print_gaps(found: dict) -> None:
    """The store's gaps in the data, from its :func:`store_stats`, when it has any."""
    if found["gaps"]:
        spans = "; ".join(span(g["first"], g["last"]) for g in found["gaps"])
        out.print(
            f"gaps in the data (the main source silent amid busy days; periods wholly inside one are left "
            f"out of the indicators): {spans}",
            highlight=False,
        )


@app.command()
def events(
    ctx: typer.Context,
    dyad: Annotated[Optional[str], typer.Option(help="Country pair A-B (both directions unless --directed).")] = None,
    directed: Annotated[bool, typer.Option(help="Only events from the first country to the second.")] = False,
    country: Annotated[Optional[str], typer.Option(help="Events with this country as either actor.")] = None,
    since: Annotated[Optional[str], typer.Option(help="First day, YYYY-MM-DD.")] = None,
    until: Annotated[Optional[str], typer.Option(help="Last day, YYYY-MM-DD.")] = None,
    cameo: Annotated[Optional[str], typer.Option(help="CAMEO code or root prefix, e.g. 13 (threaten).")] = None,
    source: Annotated[Optional[str], typer.Option(help="Only this source, e.g. gdelt1.")] = None,
    limit: Annotated[int, typer.Option(min=0, help="At most this many events (0: all).")] = 50,
    format: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
    show_sources: Annotated[
        bool,
        typer.Option("--show-sources", help="For each event's incident, every source row behind it with its link or citation."),
    ] = False,
) -> None:
    """List events, newest first, filtered by pair, country, dates, CAMEO code and source."""
    from flashpoint.events.countries import resolve_country
    from flashpoint.store.queries import EventFilter, cluster_rows, select_events

    where = EventFilter(
        dyad=parse_dyad(dyad),
        directed=directed,
        country=resolve_country(country) if country else None,
        since=parse_date(since, "--since"),
        until=parse_date(until, "--until"),
        cameo=parse_cameo(cameo),
        source=source,
        limit=limit or None,
    )
    with read_store(ctx.obj) as con:
        rows = select_events(con, where)
        if show_sources:
            incidents = list(dict.fromkeys(c for c in rows.column("cluster_id").to_pylist() if c is not None))
            _render_sources(cluster_rows(con, incidents), incidents, format)
            return
    render_events(rows, format, f"{rows.num_rows:,} events")


def _render_sources(rows: pa.Table, incidents: list[str], fmt: OutputFormat) -> None:
    """Source rows grouped by incident, in the order the incidents were listed."""
    by_incident: dict[str, list[dict[str, object]]] = {c: [] for c in incidents}
    for row in rows.to_pylist():
        by_incident[row["cluster_id"]].append(row)
    if fmt is OutputFormat.json:
        out.print_json(
            json.dumps(
                [
                    {
                        "cluster_id": c,
                        "sources": len({r["source"] for r in members}),
                        "human_confirmed": any(r["coding"] == "human" for r in members),
                        "rows": members,
                    }
                    for c, members in by_incident.items()
                ],
                default=str,
            )
        )
    elif fmt is OutputFormat.csv:
        write_rows(rows, fmt)
    else:
        table = Table(
            "incident",
            "source",
            "event id",
            KEPT("date"),
            "pair",
            "cameo",
            "link or citation",
            title=f"{len(incidents):,} incidents, {rows.num_rows:,} source rows",
        )
        for cluster, members in by_incident.items():
            for i, r in enumerate(members):
                table.add_row(
                    cluster if i == 0 else "",
                    f"{r['source']} ({r['coding']})",
                    str(r["event_id"]),
                    str(r["event_date"]),
                    f"{r['actor1_iso3'] or '-'}→{r['actor2_iso3'] or '-'}",
                    r["cameo_code"],
                    r["source_url"] or r["source_ref"] or "",
                    end_section=i == len(members) - 1,
                )
        out.print(table)


@app.command()
def dedup(ctx: typer.Context) -> None:
    """Cluster the whole store into incidents again and rebuild the weekly pair counts.

    Run it after changing the dedup settings; ingest does both for new rows itself."""
    from flashpoint.refresh import settle
    from flashpoint.store.connection import open_store

    with open_store(ctx.obj) as con:
        changed = settle(con, ctx.obj).reassigned
        rows, clusters = con.execute("SELECT count(*), count(DISTINCT cluster_id) FROM events").fetchone()
    out.print(
        f"{rows:,} rows in {clusters:,} incidents ({changed:,} rows reassigned); "
        f"window {quantity(ctx.obj.dedup_window_days, 'day')}, cell {ctx.obj.dedup_cell_degrees}°"
    )


@app.command()
def quarantine(
    ctx: typer.Context,
    file: Annotated[Optional[str], typer.Option(help="Only rows of files whose path contains this text.")] = None,
    limit: Annotated[int, typer.Option(min=0, help="At most this many rows (0: all).")] = 50,
    format: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
) -> None:
    """Rows that could not be ingested: file, line, reason and the raw line.

    The table shows a raw line's first 120 characters, tabs as ␉; CSV and JSON give it whole."""
    from flashpoint.store.queries import select_quarantine

    with read_store(ctx.obj) as con:
        rows = select_quarantine(con, file=file, limit=limit or None)
    if format is OutputFormat.table:
        table = Table("file", "line", "reason", "raw line", title=f"{rows.num_rows:,} quarantined rows")
        for r in rows.to_pylist():
            table.add_row(
                Path(r["file"].split("!")[-1]).name,
                str(r["line_number"] or ""),
                r["reason"],
                (r["raw_line"] or "")[:120].replace("\t", "␉"),
            )
        out.print(table)
    else:
        write_rows(rows, format)
