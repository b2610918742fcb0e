"""Commands of the escalation ladder: ``ladder``, ``alerts``, ``evaluate alerts`` and ``watch``."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.table import Table

from flashpoint.cli.common import (
    KEPT,
    Coverage,
    Frequency,
    ListFormat,
    OutputFormat,
    PairOption,
    app,
    err,
    out,
    parse_date,
    parse_dyad,
    print_alerts,
    read_coverage,
    read_store,
    write_frame,
)
from flashpoint.config import Settings, with_overrides
from flashpoint.errors import InvalidInput
from flashpoint.pairs import pair_key
from flashpoint.wording import quantity

if TYPE_CHECKING:
    import pandas as pd

    from flashpoint.escalation.scorecard import Scorecard
    from flashpoint.forecasts.warning_score import ProbabilityCard
    from flashpoint.watch import CycleReport

alerts_app = typer.Typer(help="Alerts: raise them from the store, and browse their history.", invoke_without_command=True)
app.add_typer(alerts_app, name="alerts")
evaluate_app = typer.Typer(help="Score Flashpoint's output against what happened.", no_args_is_help=True)
app.add_typer(evaluate_app, name="evaluate")


class Level(str, Enum):
    watch = "watch"
    warning = "warning"
    critical = "critical"


def _ladder_table(frame: pd.DataFrame, title: str, freq: str, coverage: Coverage, settings: Settings) -> Table:
    import pandas as pd

    from flashpoint.escalation.ladder import period_stage_words
    from flashpoint.periods import period_label

    table = Table(
        KEPT("period"),
        "incidents",
        "index",
        "stage",
        "P(change)",
        "drivers",
        title=title,
        caption=coverage.caption(frame.period.min(), frame.period.max()) if len(frame) else None,
    )
    for r in frame.itertuples():
        drivers = ", ".join(
            f"{n} {getattr(r, f'{n}_z'):+.1f}"
            for n in ("force", "coercion", "rhetoric", "buildup", "breakdown")
            if getattr(r, f"{n}_z", 0) > 1
        )
        table.add_row(
            period_label(r.period, freq),
            str(r.total),
            f"{r.escalation_index:.2f}",
            period_stage_words(r.stage, r.total, settings, freq),
            ("" if pd.isna(r.change_probability) else f"{r.change_probability:.2f}") + (" ▲" if r.change_point else ""),
            drivers,
        )
    return table


@app.command()
def ladder(
    ctx: typer.Context,
    dyad: PairOption,
    freq: Annotated[Optional[Frequency], typer.Option(help="Period (default: the alert_freq setting).")] = None,
    since: Annotated[Optional[str], typer.Option(help="First period shown, YYYY-MM-DD.")] = None,
    until: Annotated[Optional[str], typer.Option(help="Last day read, YYYY-MM-DD.")] = None,
    format: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
) -> None:
    """A pair's escalation index, ladder stage and change-point probability per period."""
    from flashpoint.escalation.ladder import pair_ladder

    settings: Settings = ctx.obj
    pair = pair_key(parse_dyad(dyad))
    period = freq.value if freq else settings.alert_freq
    with read_store(settings) as con:
        scores = pair_ladder(
            con, settings, pair, freq=period, since=parse_date(since, "--since"), until=parse_date(until, "--until")
        )
        coverage = read_coverage(con, period)
    write_frame(
        scores,
        format,
        f"{pair} escalation ladder ({period}; ▲ change point)",
        lambda shown, title: _ladder_table(shown, title, period, coverage, settings),
    )


@alerts_app.callback()
def alerts(
    ctx: typer.Context,
    since: Annotated[Optional[str], typer.Option(help="Alerts whose period ended on or after this day.")] = None,
    dyad: Annotated[Optional[str], typer.Option(help="Country pair A-B.")] = None,
    level: Annotated[Optional[Level], typer.Option(help="Lowest level shown.")] = None,
    basis: Annotated[Optional[str], typer.Option(help="'events', or 'series:NAME' for a score series.")] = None,
    limit: Annotated[int, typer.Option(help="Most alerts shown (0: all, as for events).", min=0)] = 50,
    format: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.table,
) -> None:
    """List stored alerts, newest first, with why, evidence and the pair's previous alert."""
    from flashpoint.escalation.alerts import alert_records, list_alerts

    if ctx.invoked_subcommand is not None:
        return
    with read_store(ctx.obj) as con:
        frame = list_alerts(
            con,
            since=parse_date(since, "--since"),
            dyad=parse_dyad(dyad),
            level=level.value if level else None,
            basis=basis,
            limit=limit or None,
        )
    if format is ListFormat.json:
        out.print_json(json.dumps(alert_records(frame)))
    elif frame.empty and any(v is not None for v in (since, dyad, level, basis)):
        out.print("no stored alert matches these options; without them, 'flashpoint alerts' lists them all.")
    elif frame.empty:
        out.print("no alerts stored: raise them with 'flashpoint alerts raise'.")
    else:
        print_alerts(frame)


@alerts_app.command("raise")
def alerts_raise(
    ctx: typer.Context,
    series: Annotated[Optional[str], typer.Option(help="Raise on this stored score series instead of the events.")] = None,
    freq: Annotated[Optional[Frequency], typer.Option(help="Period (default: the alert_freq setting).")] = None,
    baseline: Annotated[Optional[int], typer.Option(help="Baseline periods (default: alert_baseline_periods).", min=4)] = None,
    since: Annotated[Optional[str], typer.Option(help="First period that may raise alerts, YYYY-MM-DD.")] = None,
    until: Annotated[Optional[str], typer.Option(help="Last day read, YYYY-MM-DD.")] = None,
    onsets: Annotated[
        Optional[list[Path]],
        typer.Option(help="CSV of further onsets the warning model learns from (iso3_a, iso3_b, onset_date)."),
    ] = None,
) -> None:
    """Raise alerts: each pair's probability of an onset within 30 days, warnings, watch signals, red lines.

    A warning where the probability crosses its threshold (critical with corroborated evidence),
    stored with the watch signals (stage rises, change points) and the red lines crossed.
    """
    from flashpoint.escalation.alerts import raise_alerts
    from flashpoint.forecasts.warning import describe, raise_warnings
    from flashpoint.store.connection import open_store

    settings: Settings = ctx.obj
    options = {
        "series": series,
        "freq": freq.value if freq else None,
        "baseline_periods": baseline,
        "since": parse_date(since, "--since"),
        "until": parse_date(until, "--until"),
    }
    with err.status("scoring pairs and raising alerts"), open_store(settings) as con:
        if settings.alert_method == "probability":
            run, chances = raise_warnings(con, settings, onsets=tuple(onsets or ()), **options)
            out.print(describe(chances) + ".")
        else:
            run = raise_alerts(con, settings, **options)
    out.print(
        f"{run.scored:,} pair-periods scored; {quantity(len(run.raised), 'alert')} new or upgraded. "
        "List them with 'flashpoint alerts'."
    )


def _print_scorecard(card: Scorecard, title: str, /) -> None:
    """The stored alerts' scorecard: every onset, then the summary in a sentence."""
    import pandas as pd

    table = Table("pair", "onset", "kind", "warned", "first alert", "lead days", "alerts", title=title)
    for r in card.onsets.itertuples():
        table.add_row(
            r.pair,
            str(r.onset_date),
            r.kind,
            "yes" if r.warned else ("no" if r.covered else "not covered"),
            str(r.first_alert or ""),
            "" if pd.isna(r.lead_days) else str(int(r.lead_days)),
            str(r.alerts_in_window),
        )
    out.print(table)
    s = card.summary
    lead = "none warned" if s["median_lead_days"] is None else f"{s['median_lead_days']:g} days"
    out.print(
        f"{s['warned']} of {s['onsets']} onsets warned ({s['covered']} covered), median lead "
        f"{lead}; {s['false_alarms']:,} of {s['alerts']:,} alerts were false alarms: "
        f"{s['false_alarms_per_pair_year']} per pair-year over {s['pair_years']} pair-years; "
        f"{s['warned_early']} warned {s['min_lead_days']}–{s['window_days']} days ahead, where as many alerts at random "
        f"times would warn {s['warned_early_by_chance'] * s['onsets']:.1f}."
    )


def _scorecards_json(card: Scorecard, chances: ProbabilityCard | None) -> dict[str, Any]:
    """The alerts' scorecard and the warning probabilities' (None when none is stored) as JSON values."""
    from flashpoint.jsonrows import json_rows

    return {
        "summary": card.summary,
        "onsets": json_rows(card.onsets),
        "pairs": json_rows(card.pairs),
        "probabilities": None
        if chances is None
        else {
            "summary": chances.summary,
            "scores": json_rows(chances.scores),
            "curve": json_rows(chances.curve),
            "reliability": json_rows(chances.reliability),
        },
    }


@evaluate_app.command("alerts")
def evaluate_alerts(
    ctx: typer.Context,
    onsets: Annotated[Path, typer.Option(help="CSV of onsets: iso3_a, iso3_b, onset_date (kind, what_happened).")],
    window_days: Annotated[int, typer.Option(help="Days before an onset an alert counts as a warning of it.", min=1)] = 30,
    basis: Annotated[str, typer.Option(help="'events', or 'series:NAME'.")] = "events",
    freq: Annotated[Optional[Frequency], typer.Option(help="Only alerts raised at this period (default: all).")] = None,
    level: Annotated[Level, typer.Option(help="Lowest alert level that counts.")] = Level.warning,
    min_lead_days: Annotated[int, typer.Option(help="Lead an early warning needs, in days.", min=1)] = 7,
    plot: Annotated[
        Optional[Path], typer.Option(help="Write the warning model's recall / false-alarm curve to this .svg or .png file.")
    ] = None,
    format: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.table,
) -> None:
    """Score stored alerts and warning probabilities against dated onsets, with their baselines.

    Onsets warned 1–30 and 7–30 days ahead, lead times, false alarms per pair-year, against
    alerts at random times; then the warning probabilities (when stored): Brier score and log
    loss against persistence, the recall / false-alarm curve with the random and persistence
    baselines at each alert rate, and their reliability.
    """
    from flashpoint.escalation.scorecard import read_onsets, score_alerts
    from flashpoint.forecasts.warning_score import render_probability_markdown, score_probabilities

    settings: Settings = ctx.obj
    dated = read_onsets(onsets)
    chances = None
    with read_store(settings) as con:
        card = score_alerts(
            con,
            dated,
            basis=basis,
            freq=freq.value if freq else None,
            window_days=window_days,
            min_level=level.value,
            min_lead_days=min_lead_days,
        )
        if con.execute("SELECT count(*) FROM pair_warnings WHERE basis = ?", [basis]).fetchall()[0][0]:
            chances = score_probabilities(
                con, dated, basis=basis, freq=freq.value if freq else settings.alert_freq, min_lead_days=min_lead_days
            )
    if plot is not None:
        if chances is None:
            raise InvalidInput(
                f"--plot: no warning probability of '{basis}' is stored to draw; run 'flashpoint alerts raise' first."
            )
        from flashpoint.charts import save_chart
        from flashpoint.forecasts.plots import warning_curve_chart

        save_chart(warning_curve_chart(chances), plot)
    if format is ListFormat.json:
        out.print_json(json.dumps(_scorecards_json(card, chances)))
        return
    _print_scorecard(card, f"Onsets against {basis} alerts ({level.value} or higher, {window_days} days before)")
    if chances is not None:
        out.print("\nWarning probabilities\n" + render_probability_markdown(chances), highlight=False, markup=False)


@app.command()
def watch(
    ctx: typer.Context,
    cycles: Annotated[Optional[int], typer.Option(help="Stop after this many polls (default: run until Ctrl-C).", min=1)] = None,
    interval: Annotated[Optional[float], typer.Option(help="Seconds between polls (watch_interval_seconds).", min=0.0)] = None,
    jsonl: Annotated[Optional[Path], typer.Option(help="Append alerts to this JSON-lines file (alerts_jsonl).")] = None,
    webhook: Annotated[Optional[str], typer.Option(help="POST alerts as JSON to this URL (webhook_url).")] = None,
) -> None:
    """Follow GDELT 2.0's 15-minute feed: ingest each new file, raise and deliver alerts."""
    from flashpoint.store.connection import open_store
    from flashpoint.watch import watch as follow_feed

    overrides = {"watch_interval_seconds": interval, "alerts_jsonl": jsonl, "webhook_url": webhook}
    settings = with_overrides(ctx.obj, overrides)

    def show(alert: dict) -> None:
        out.print(f"{alert['as_of']}  [bold]{alert['pair']}[/bold]  {alert['level']}: {alert['why']}", highlight=False)

    def summary(report: CycleReport) -> None:
        for name, reason in report.failed:
            err.print(f"[red]skipped[/red] {name}: {reason}", highlight=False)
        if report.processed:
            err.print(
                f"{quantity(len(report.processed), 'file')} ingested, "
                f"{quantity(len(report.alerts), 'alert')} raised, "
                f"{report.delivered} delivered",
                highlight=False,
            )

    err.print(f"watching {settings.gdelt_base_url} every {settings.watch_interval_seconds:g}s (Ctrl-C stops)")
    with open_store(settings) as con:
        follow_feed(con, settings, cycles=cycles, on_alert=show, on_cycle=summary)
