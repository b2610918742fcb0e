"""``flashpoint backtest`` (models against their baselines on a real panel) and ``flashpoint forecast`` (one pair)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from flashpoint.cli.common import ListFormat, PairOption, app, err, out, parse_dyad, progress_steps
from flashpoint.errors import InvalidInput
from flashpoint.forecasts.targets import EVENT_TARGETS, TARGETS, UNITS

if TYPE_CHECKING:
    from flashpoint.forecasts.backtest import BacktestResult


def _scores_table(result: BacktestResult, title: str) -> Table:
    table = Table(
        "model", "kind", "Brier", "Brier skill", "log loss", "ROC-AUC", "PR-AUC", "mean forecast", "base rate", "n", title=title
    )
    for r in result.scores.itertuples():
        table.add_row(
            r.model,
            r.kind,
            f"{r.brier:.5f}",
            f"{r.brier_skill:+.4f}",
            f"{r.log_loss:.4f}",
            f"{r.roc_auc:.3f}",
            f"{r.pr_auc:.3f}",
            f"{r.mean_forecast:.4f}",
            f"{r.base_rate:.4f}",
            f"{r.n:,}",
        )
    return table


@app.command()
def backtest(
    ctx: typer.Context,
    panel: Annotated[
        str, typer.Option(help="Panel: dyad-year or country-month (--data-dir), or dyad-month (the event store).")
    ] = "dyad-year",
    target: Annotated[
        Optional[str],
        typer.Option(
            help=f"Target: {', '.join(TARGETS)} (dyad-year), {', '.join(EVENT_TARGETS)} (dyad-month), fatalities (country-month)."
        ),
    ] = None,
    test_start: Annotated[str, typer.Option(help="First target period forecast: a year (1986) or a month (2012-07).")] = "1986",
    test_end: Annotated[Optional[str], typer.Option(help="Last target period (default: the last with outcomes).")] = None,
    step: Annotated[int, typer.Option(help="Periods between refits (rolling origin).", min=1)] = 5,
    horizon: Annotated[Optional[str], typer.Option(help="Months ahead for dyad-month targets, e.g. 3m (dyad-year: 1y).")] = None,
    first_year: Annotated[Optional[int], typer.Option(help="Drop rows before this year (a reduced run).")] = None,
    models: Annotated[
        Optional[str],
        typer.Option(
            help="Comma-separated models (default: every model; an unknown name lists them). The baselines are always scored."
        ),
    ] = None,
    data_dir: Annotated[
        Optional[Path], typer.Option(help="A folder laid out like the shared data (peacesciencer/*.csv).")
    ] = None,
    plot: Annotated[
        Optional[Path],
        typer.Option(help="Write the chart to this .svg or .png file: reliability and skill, or CRPS for fatalities."),
    ] = None,
    format: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.table,
) -> None:
    """Rolling-origin backtest of the forecast models and their baselines on a real panel."""
    from flashpoint.forecasts.backtest import backtest as run_backtest
    from flashpoint.forecasts.event_panel import parse_month
    from flashpoint.forecasts.models import MODELS
    from flashpoint.forecasts.pair_forecast import panel_rows

    if panel not in (*UNITS, "country-month"):
        raise InvalidInput(f"panel '{panel}': use {', '.join(UNITS)} or country-month.")
    if panel == "country-month":
        return _backtest_fatalities(data_dir, test_start, format, plot, target)
    monthly = panel == "dyad-month"
    period = parse_month if monthly else _year
    chosen = MODELS if models is None else tuple(m.strip() for m in models.split(",") if m.strip())
    with err.status(f"building the {panel} panel"):
        rows, spec = panel_rows(ctx.obj, panel, horizon=horizon or ("3m" if monthly else "1y"), data_dir=data_dir)
    with progress_steps("backtesting") as advance:
        result = run_backtest(
            rows,
            spec=spec,
            target=target or next(iter(spec.targets)),
            test_start=period(test_start, "--test-start"),
            test_end=None if test_end is None else period(test_end, "--test-end"),
            step=step,
            models=chosen,
            first_year=None if first_year is None else (first_year * 12 if monthly else first_year),
            on_fit=advance,
        )
    _show_backtest(result, panel, spec.period_name, format, plot)


def _show_backtest(result: BacktestResult, panel: str, period_name: str, format: ListFormat, plot: Path | None) -> None:
    """Print a backtest's scores and design (or its JSON), and draw its chart to ``plot``."""
    from flashpoint.charts import save_chart
    from flashpoint.forecasts.plots import backtest_chart

    if plot is not None:
        save_chart(backtest_chart(result), plot)
    if format is ListFormat.json:
        out.print_json(
            json.dumps(
                {
                    "design": result.design,
                    "scores": result.scores.to_dict("records"),
                    "reliability": {k: v.to_dict("records") for k, v in result.reliability.items()},
                }
            )
        )
        return
    first, last = result.design[f"test_{period_name}s"]
    out.print(
        _scores_table(result, f"{panel}, target {result.design['target']}, {first}–{last}; skill against the best baseline")
    )
    for origin in result.design["origins"]:
        out.print(
            f"origin {origin['origin']}: trained on {origin['train_rows']:,} rows "
            f"({origin['train_positives']:,} positive), forecast {origin['test_rows']:,}"
        )


def _backtest_fatalities(
    data_dir: Optional[Path],
    test_start: str,
    format: ListFormat,  # noqa: A002
    plot: Optional[Path],
    target: Optional[str],
) -> None:
    """The country-month backtest of fatalities (the panel's only target)."""
    from flashpoint.charts import save_chart
    from flashpoint.forecasts.event_panel import parse_month
    from flashpoint.forecasts.fatalities import backtest_fatalities, read_actuals
    from flashpoint.forecasts.plots import fatalities_chart

    if target not in (None, "fatalities"):
        raise InvalidInput(f"target '{target}': the country-month panel forecasts fatalities.")

    if data_dir is None:
        raise InvalidInput(
            "backtest: the country-month panel needs --data-dir, a folder laid out like the shared data (views_competition_cm/)."
        )
    with err.status("forecasting country-month fatalities"):
        result = backtest_fatalities(read_actuals(data_dir), test_start=parse_month(test_start, "--test-start"))
    if plot is not None:
        save_chart(fatalities_chart(result), plot)
    if format is ListFormat.json:
        out.print_json(json.dumps({"design": result.design, "scores": result.scores.to_dict("records")}))
        return
    d = result.design
    table = Table(
        "model",
        "kind",
        "mean CRPS",
        "ratio to zero",
        "ratio to conflictology",
        title=f"country-month fatalities, {d['test_months'][0]}–{d['test_months'][1]} from {d['origin']}",
    )
    for r in result.scores.itertuples():
        table.add_row(r.model, r.kind, f"{r.crps:.2f}", f"{r.ratio_to_zero:.3f}", f"{r.ratio_to_conflictology:.3f}")
    out.print(table)
    out.print(
        f"{d['test_rows']:,} country-months scored ({d['countries']} countries); trained on {d['train_rows']:,} rows",
        highlight=False,
    )


def _year(value: str, option: str) -> int:
    if not value.isdigit():
        raise InvalidInput(f"{option} {value!r}: the dyad-year panel takes a year, e.g. 1986.")
    return int(value)


@app.command()
def forecast(
    ctx: typer.Context,
    dyad: PairOption,
    panel: Annotated[str, typer.Option(help="dyad-month (the event store) or dyad-year (--data-dir).")] = "dyad-month",
    target: Annotated[
        Optional[str],
        typer.Option(help=f"Target: {', '.join(EVENT_TARGETS)} (dyad-month, default stage3), {', '.join(TARGETS)} (dyad-year)."),
    ] = None,
    horizon: Annotated[Optional[str], typer.Option(help="Months ahead, e.g. 3m (dyad-year: 1y).")] = None,
    as_of: Annotated[
        Optional[str], typer.Option(help="Forecast from this month (YYYY-MM) or year; nothing later is read.")
    ] = None,
    data_dir: Annotated[
        Optional[Path],
        typer.Option(help="A folder laid out like the shared data: the dyad-year panel, or the pair's structure for dyad-month."),
    ] = None,
    format: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.table,
) -> None:
    """A pair's probability of escalating, with a 90% interval, its main drivers and the baselines."""
    from flashpoint.forecasts.pair_forecast import forecast_dyad

    with err.status(f"building the {panel} panel and fitting"):
        result = forecast_dyad(
            ctx.obj, parse_dyad(dyad), panel=panel, target=target, horizon=horizon, as_of=as_of, data_dir=data_dir
        )
    if format is ListFormat.json:
        out.print_json(json.dumps(result.to_dict()))
        return
    if result.probability is None:
        out.print(f"[bold]{dyad}[/bold] as of {result.as_of}: P({result.description}): {result.note}.", highlight=False)
        return
    low, high = result.interval
    out.print(
        f"[bold]{dyad}[/bold] as of {result.as_of}: P({result.description}) = [bold]{result.probability:.2%}"
        f"[/bold] (90% interval {low:.2%}–{high:.2%}; {result.model}, trained on {result.train_rows:,} "
        f"rows, {result.train_positives:,} positive)",
        highlight=False,
    )
    out.print("baselines: " + ", ".join(f"{k} {v:.2%}" for k, v in result.baselines.items()), highlight=False)
    table = Table("driver", "value", "log-odds", title="What moves it (against an average pair-period)")
    for d in result.drivers:
        table.add_row(d["label"], "-" if d["value"] is None else f"{d['value']:.3g}", f"{d['log_odds']:+.2f}")
    out.print(table)
