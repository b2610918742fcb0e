"""Commands that explore the store: stats, events, dedup, quarantine, indicators, explain, metrics, red lines."""

from __future__ import annotations

import json
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import pandas as pd
import pyarrow as pa
import typer
from rich.table import Table

from flashpoint.cli.common import (
    KEPT,
    Coverage,
    Frequency,
    OutputFormat,
    PairOption,
    app,
    out,
    parse_cameo,
    parse_date,
    parse_dyad,
    print_actor_coverage,
    print_alerts,
    read_coverage,
    render_events,
    results_table,
    write_frame,
    write_rows,
)
from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.events.countries import resolve_country, search_countries
from flashpoint.indicators.compute import compute_indicators, ranked_pairs
from flashpoint.indicators.compute import explain as explain_indicator
from flashpoint.indicators.metrics import with_text, yearly_metrics
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.indicators.redlines import check_rules, load_rules, record_crossings
from flashpoint.indicators.registry import INDICATORS
from flashpoint.periods import parse_period, period_kind, period_label
from flashpoint.refresh import settle
from flashpoint.sources import (
    SOURCES,
    get_source,
)
from flashpoint.store.connection import open_store
from flashpoint.store.queries import (
    EventFilter,
    cluster_rows,
    select_events,
    select_quarantine,
    store_stats,
)
from flashpoint.wording import confidence_words, quantity, span

if TYPE_CHECKING:
    from flashpoint.demo import DemoSummary

redlines_app = typer.Typer(
    help="Red lines: declared thresholds, and the pairs that crossed them.", no_args_is_help=True
)
app.add_typer(redlines_app, name="redlines")


def _sources_table(found: dict[str, object], title: str) -> Table:
    table = Table("source", "coding", "events", "first", "last", title=title)
    for row in found["sources"]:  # type: ignore[attr-defined]
        table.add_row(row["source"], row["coding"], f"{row['events']:,}", row["first_date"], row["last_date"])
    return table


@app.command()
def stats(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """What the store holds: events by source and coding, dates, incidents, pairs, quarantine."""
    with open_store(ctx.obj, read_only=True) as con:
        found = store_stats(con)
    if as_json:
        out.print_json(json.dumps(found))
        return
    out.print(_sources_table(found, f"{found['events']:,} events in {ctx.obj.db}"))
    out.print(
        f"{found['incidents']:,} incidents after deduplication, {found['dyads']:,} country pairs, "
        f"{found['countries']:,} countries, {found['files']:,} files, {found['quarantined']:,} quarantined rows, "
        f"{found['milex']:,} military expenditure values"
    )
    _print_gaps(found)
    print_actor_coverage(found["actors"])


def _print_gaps(found: dict) -> None:
    """The store's gaps in the data, from its :func:`store_stats`, when it has any."""
    if found["gaps"]:
        spans = "; ".join(span(g["first"], g["last"]) for g in found["gaps"])
        out.print(f"gaps in the data (the main source silent amid busy days; periods wholly inside one are left "
                  f"out of the indicators): {spans}", highlight=False)


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
        typer.Option(
            "--show-sources", help="For each event's incident, every source row behind it with its link or citation."
        ),
    ] = False,
) -> None:
    """List events, newest first, filtered by pair, country, dates, CAMEO code and source."""
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
    with open_store(ctx.obj, read_only=True) as con:
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
    with open_store(ctx.obj, read_only=True) as con:
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


def _indicator_table(frame: pd.DataFrame, title: str, freq: str, *, show_pair: bool = False,
                     coverage: Coverage | None = None) -> Table:
    """One row per period (per pair and period with ``show_pair``, in the frame's order), one
    column per indicator: value (z-score); and what is reported beside them when the view has
    any: the military spending growth (with the buildup) and the fights by backed non-state
    actors (with the proxy involvement). With the store's ``coverage``, a caption names its
    gaps between the first and the last period shown, and says when the last is not over."""
    names = [i.name for i in INDICATORS]
    extra = {"spending growth": ("spending_growth", "{:+.1%}"), "backed fighting": ("backed_fighting", "{:g}")}
    extra = {heading: spec for heading, spec in extra.items() if frame[spec[0]].fillna(0).any()}
    keys = (KEPT("pair"), KEPT("period")) if show_pair else (KEPT("period"),)  # else the title names the pair
    caption = coverage.caption(frame.period.min(), frame.period.max()) if coverage is not None else None
    table = Table(*keys, "incidents", *names, *extra, title=title, caption=caption)
    for (pair, period), rows in frame.groupby(["pair", "period"], sort=False):
        cells = {r.indicator: r for r in rows.itertuples()}
        shown = [f"{cells[n].value:g}" + ("" if pd.isna(cells[n].z) else f" ({cells[n].z:+.1f})") for n in names]
        for column, form in extra.values():
            known = rows[column].dropna()
            shown.append(form.format(known.iloc[0]) if len(known) else "")
        table.add_row(*(pair,) if show_pair else (), period_label(period, freq), str(rows.total.iloc[0]), *shown)
    return table


@app.command()
def indicators(
    ctx: typer.Context,
    dyad: Annotated[Optional[str], typer.Option(help="Country pair A-B (both directions unless --directed).")] = None,
    directed: Annotated[bool, typer.Option(help="Only events from the first country to the second.")] = False,
    country: Annotated[Optional[str], typer.Option(help="One country's view, summed over its partners.")] = None,
    freq: Annotated[Frequency, typer.Option(help="Period.")] = Frequency.month,
    since: Annotated[Optional[str], typer.Option(help="First period shown, YYYY-MM-DD.")] = None,
    until: Annotated[Optional[str], typer.Option(help="Last day counted, YYYY-MM-DD.")] = None,
    baseline: Annotated[int, typer.Option(help="Periods in the trailing baseline of the z-scores.")] = 12,
    top: Annotated[int, typer.Option(min=0, help="Without --dyad: the N pairs highest on --by in --period.")] = 20,
    period: Annotated[Optional[str], typer.Option(help="With --top: the period, e.g. 2012-W07, 2012-03.")] = None,
    by: Annotated[str, typer.Option(help="With --top: the indicator ranked by its z-score.")] = "rhetoric",
    format: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
) -> None:
    """Warning indicators per pair and period: value (z-score against the pair's own baseline)."""
    query = IndicatorQuery(
        freq=freq.value,
        dyad=parse_dyad(dyad),
        directed=directed,
        country=resolve_country(country) if country else None,
        since=parse_date(since, "--since"),
        until=parse_date(until, "--until"),
        baseline_periods=baseline,
    )
    ranking = dyad is None and country is None
    if ranking and period is None:
        raise InvalidInput(
            "give --dyad A-B for a pair, --country C for a country, or --period (with --top, --by) to rank pairs."
        )
    asked = parse_period(period, freq.value) if ranking else None
    with open_store(ctx.obj, read_only=True) as con:
        frame = ranked_pairs(con, query, asked, by, top=top) if ranking else compute_indicators(con, query)
        coverage = read_coverage(con, freq.value)
    if frame.empty and format is OutputFormat.table:
        out.print((coverage.gap_note(asked, asked) or f"no pair has incidents in {period}") if ranking
                  else f"no incidents for {dyad or country} in the periods asked for", f"({freq.value} view).",
                  highlight=False)
        return
    # A pair without incidents still has a title (and its CSV or JSON, a header and no rows).
    shown_as = (("→" if directed else "-").join(query.dyad if directed else sorted(query.dyad)) if query.dyad
                else f"{query.country}-*")
    view = "Warning indicators" if ranking else f"{shown_as} warning indicators"
    write_frame(frame, format, f"{view} ({freq.value})",
                lambda shown, title: _indicator_table(shown, title, freq.value, show_pair=ranking, coverage=coverage))


@app.command()
def explain(
    ctx: typer.Context,
    dyad: PairOption,
    period: Annotated[str, typer.Option(help="2022-W07 (week), 2022-02 (month), 2022 (year) or a day.")],
    indicator: Annotated[str, typer.Option(help="Indicator name, e.g. rhetoric.")],
    freq: Annotated[Optional[Frequency], typer.Option(help="Period kind (default: from --period).")] = None,
    directed: Annotated[bool, typer.Option(help="Only events from the first country to the second.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many events.")] = 20,
    format: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
) -> None:
    """The events that contributed most to one indicator of a pair in a period."""
    kind = freq.value if freq else period_kind(period)
    query = IndicatorQuery(freq=kind, dyad=parse_dyad(dyad), directed=directed)
    start = parse_period(period, kind)
    with open_store(ctx.obj, read_only=True) as con:
        rows = explain_indicator(con, query, start, indicator, limit=limit)
        caption = read_coverage(con, kind).caption(start, start)

    def table(frame: pd.DataFrame, title: str) -> Table:
        shown = Table(
            "weight", KEPT("date"), "actor 1", "actor 2", "cameo", "goldstein", "sources", "confidence",
            "link or citation", title=title, caption=caption,
        )
        # Missing texts (GDELT 1.0 rows before April 2013 have no source URL) are None, not NaN.
        for r in frame.astype(object).where(frame.notna(), None).itertuples():
            shown.add_row(
                f"{r.weight:g}",
                str(r.event_date),
                f"{r.actor1_iso3} {r.actor1_name or ''}".strip(),
                f"{r.actor2_iso3} {r.actor2_name or ''}".strip(),
                f"{r.cameo_code} {r.cameo_name}",
                f"{r.goldstein:+.1f}",
                "" if r.num_sources is None else str(int(r.num_sources)),
                confidence_words(r.confidence, r.confidence_reasons),
                r.source_url or r.source_ref or r.event_id,
            )
        return shown

    write_frame(rows, format, f"{indicator} {dyad} {period}: {len(rows)} events", table)


class MetricsFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


@app.command()
def metrics(
    ctx: typer.Context,
    dyad: PairOption,
    year: Annotated[Optional[int], typer.Option(help="Only this year.")] = None,
    format: Annotated[MetricsFormat, typer.Option("--format", help="Output format.")] = MetricsFormat.table,
) -> None:
    """The yearly diplomacy metrics of a pair, each with its unit and source."""
    pair = parse_dyad(dyad)
    assert pair is not None
    with open_store(ctx.obj, read_only=True) as con:
        frame = yearly_metrics(con, pair, year=year)
    if format is MetricsFormat.markdown:
        lines = ["| year | metric | value | unit | source |", "|---|---|---|---|---|"]
        lines += [f"| {r.year} | {r.title} | {r.text} | {r.unit} | {r.source} |" for r in with_text(frame).itertuples()]
        out.print("\n".join(lines), highlight=False, soft_wrap=True)
        return
    if format is not MetricsFormat.table:
        write_rows(pa.Table.from_pandas(frame, preserve_index=False), OutputFormat(format.value))
        return
    table = Table("year", "metric", "value", "unit", "source", title=f"Diplomacy metrics {'-'.join(pair)}")
    for r in with_text(frame).itertuples():
        table.add_row(str(r.year), r.title, r.text, r.unit, r.source)
    out.print(table)


@redlines_app.command("list")
def redlines_list(ctx: typer.Context) -> None:
    """The red-line rules in force: Flashpoint's defaults and the redlines_file setting's."""
    table = Table(
        "rule",
        "codes",
        "state actors",
        "places",
        "min incidents",
        "min sources",
        "first only",
        "description",
        title="Red lines",
    )
    for r in load_rules(ctx.obj.redlines_file):
        table.add_row(
            r.name,
            " ".join(r.codes),
            "yes" if r.state_actors else "",
            " ".join(r.places),
            str(r.min_incidents),
            str(r.min_sources),
            "yes" if r.first else "",
            r.description,
        )
    out.print(table)


@redlines_app.command("check")
def redlines_check(
    ctx: typer.Context,
    dyad: Annotated[Optional[str], typer.Option(help="Only this pair A-B.")] = None,
    freq: Annotated[Frequency, typer.Option(help="Period.")] = Frequency.week,
    since: Annotated[Optional[str], typer.Option(help="First period reported, YYYY-MM-DD.")] = None,
    until: Annotated[Optional[str], typer.Option(help="Last day read, YYYY-MM-DD.")] = None,
    format: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
) -> None:
    """Check the store against the red lines; record and list each crossing with its events."""
    query = IndicatorQuery(
        freq=freq.value, dyad=parse_dyad(dyad), since=parse_date(since, "--since"), until=parse_date(until, "--until")
    )
    rules = load_rules(ctx.obj.redlines_file)
    with open_store(ctx.obj) as con:
        crossings = check_rules(con, rules, query, first_lookback_days=ctx.obj.redline_first_lookback_days)
        record_crossings(con, crossings, freq.value)

    def table(frame: pd.DataFrame, title: str) -> Table:
        shown = Table(KEPT("period"), KEPT("pair"), "rule", "incidents", "events", title=title)
        for r in frame.itertuples():
            ids = list(r.event_ids)
            shown.add_row(
                period_label(r.period, freq.value),
                r.pair,
                r.rule,
                str(r.incidents),
                ", ".join(ids[:3]) + (f" … (+{len(ids) - 3})" if len(ids) > 3 else ""),
            )
        return shown

    write_frame(crossings, format, f"{quantity(len(crossings), 'red-line crossing')} (table redline_crossings)", table)


@app.command()
def countries(search: Annotated[Optional[str], typer.Option(help="Text in a name or code.")] = None) -> None:
    """Countries and their codes (ISO3, ISO2, FIPS 10-4)."""
    found = search_countries(search)
    table = Table("iso3", "iso2", "fips10_4", "name", title=f"{len(found)} countries")
    for c in found:
        table.add_row(c.iso3, c.iso2, c.fips10_4 or "", c.name)
    out.print(table)


@app.command()
def cite(source: Annotated[str, typer.Argument(help=f"One of: {', '.join(sorted(SOURCES))}.")]) -> None:
    """Print how to cite a data source, and its licence."""
    module = get_source(source)
    out.print(f"[bold]Citation[/bold]\n{module.CITATION}\n\n[bold]Licence[/bold]\n{module.LICENSE}")


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
    out.print(_sources_table(summary.stats, f"Demo store {summary.db}"))
    events_count, incidents = summary.stats["events"], summary.stats["incidents"]
    out.print(
        f"{incidents:,} incidents after deduplication: {1 - incidents / max(events_count, 1):.0%} of the "
        f"rows repeat an incident another row already reports (docs/dedup.md)."
    )
    _print_gaps(summary.stats)
    pairs = Table("country pair", "events", title="Busiest country pairs")
    for row in summary.stats["top_dyads"]:
        pairs.add_row(row["dyad"], f"{row['events']:,}")
    out.print(pairs)
    render_events(summary.dyad_events, OutputFormat.table, f"Latest {'-'.join(summary.dyad)} events")
    pair = "-".join(summary.dyad)
    out.print(_indicator_table(summary.indicators, f"{pair} warning indicators, last six months: value (z-score)",
                               "month", coverage=Coverage("month", tuple(summary.gap_months))))
    for r in summary.crossings.itertuples():
        out.print(
            f"red line [bold]{r.rule}[/bold] crossed by {r.pair} in {r.period:%Y-%m}: "
            f"{quantity(r.incidents, 'incident')}, events {', '.join(list(r.event_ids)[:3])}"
        )
    out.print("\n[bold]Latest warning alerts[/bold] (all pairs, weekly; 'flashpoint alerts' lists every level)")
    print_alerts(summary.alerts)
    f = summary.forecast
    told = (f"{f.note}" if f.probability is None else
            f"{f.probability:.2%} (90% interval {f.interval[0]:.2%}–{f.interval[1]:.2%}); "
            + "; ".join(f"{k} {v:.2%}" for k, v in f.baselines.items()))
    out.print(f"\n[bold]Forecast[/bold] {pair}: P(stage ≥ 3 within {f.horizon} months of {f.as_of}): {told}",
              highlight=False)
    out.print(f"[bold]Levers[/bold] for {pair}: " + "; ".join(f"{r.title} ({r.points:+g})" for r in summary.levers[:3]),
              highlight=False)
    out.print(
        f"Explore it: flashpoint --db {summary.db} events --dyad {pair} --cameo 11 --show-sources\n"
        f"            flashpoint --db {summary.db} explain --dyad {pair} --period 2012-12 --indicator rhetoric\n"
        f"            flashpoint --db {summary.db} alerts --level warning\n"
        f"            flashpoint --db {summary.db} ladder --dyad KOR-PRK --since 2013-01-01\n"
        f"            flashpoint --db {summary.db} forecast --dyad {pair}\n"
        f"            flashpoint --db {summary.db} respond --dyad {pair}"
    )
