"""Commands of the warning indicators: indicators, explain, metrics, red lines."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Optional

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
    parse_date,
    parse_dyad,
    read_coverage,
    read_store,
    write_frame,
    write_rows,
)
from flashpoint.errors import InvalidInput
from flashpoint.wording import confidence_words, quantity

if TYPE_CHECKING:
    import pandas as pd

redlines_app = typer.Typer(help="Red lines: declared thresholds, and the pairs that crossed them.", no_args_is_help=True)
app.add_typer(redlines_app, name="redlines")


def indicators_table(
    frame: pd.DataFrame, title: str, freq: str, *, show_pair: bool = False, coverage: Coverage | None = None
) -> Table:
    """One row per period (per pair and period with ``show_pair``, in the frame's order), one
    column per indicator: value (z-score); and what is reported beside them when the view has
    any: the military spending growth (with the buildup) and the fights by backed non-state
    actors (with the proxy involvement). With the store's ``coverage``, a caption names its
    gaps between the first and the last period shown, and says when the last is not over."""
    import pandas as pd

    from flashpoint.indicators.registry import INDICATORS
    from flashpoint.periods import period_label

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
    from flashpoint.events.countries import resolve_country
    from flashpoint.indicators.compute import compute_indicators, ranked_pairs
    from flashpoint.indicators.query import IndicatorQuery
    from flashpoint.periods import parse_period

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
        raise InvalidInput("give --dyad A-B for a pair, --country C for a country, or --period (with --top, --by) to rank pairs.")
    asked = parse_period(period, freq.value) if ranking else None
    with read_store(ctx.obj) as con:
        frame = ranked_pairs(con, query, asked, by, top=top) if ranking else compute_indicators(con, query)
        coverage = read_coverage(con, freq.value)
    if frame.empty and format is OutputFormat.table:
        out.print(
            (coverage.gap_note(asked, asked) or f"no pair has incidents in {period}")
            if ranking
            else f"no incidents for {dyad or country} in the periods asked for",
            f"({freq.value} view).",
            highlight=False,
        )
        return
    # A pair without incidents still has a title (and its CSV or JSON, a header and no rows).
    shown_as = (
        ("→" if directed else "-").join(query.dyad if directed else sorted(query.dyad)) if query.dyad else f"{query.country}-*"
    )
    view = "Warning indicators" if ranking else f"{shown_as} warning indicators"
    write_frame(
        frame,
        format,
        f"{view} ({freq.value})",
        lambda shown, title: indicators_table(shown, title, freq.value, show_pair=ranking, coverage=coverage),
    )


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

    from flashpoint.indicators.compute import explain as explain_indicator
    from flashpoint.indicators.query import IndicatorQuery
    from flashpoint.periods import parse_period, period_kind

    kind = freq.value if freq else period_kind(period)
    query = IndicatorQuery(freq=kind, dyad=parse_dyad(dyad), directed=directed)
    start = parse_period(period, kind)
    with read_store(ctx.obj) as con:
        rows = explain_indicator(con, query, start, indicator, limit=limit)
        caption = read_coverage(con, kind).caption(start, start)

    def table(frame: pd.DataFrame, title: str) -> Table:
        shown = Table(
            "weight",
            KEPT("date"),
            "actor 1",
            "actor 2",
            "cameo",
            "goldstein",
            "sources",
            "confidence",
            "link or citation",
            title=title,
            caption=caption,
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
    import pyarrow as pa

    from flashpoint.indicators.metrics import with_text, yearly_metrics

    pair = parse_dyad(dyad)
    assert pair is not None
    with read_store(ctx.obj) as con:
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
    from flashpoint.indicators.redlines import load_rules

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

    from flashpoint.indicators.query import IndicatorQuery
    from flashpoint.indicators.redlines import check_rules, load_rules, record_crossings
    from flashpoint.periods import period_label
    from flashpoint.store.connection import open_store

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
