"""``flashpoint simulate``: play out a pair's escalation with and without diplomatic levers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from flashpoint.cli.common import AsOfDayOption, ListFormat, PairOption, app, err, out, parse_date, parse_dyad, read_store
from flashpoint.cli.escalation import evaluate_app
from flashpoint.errors import InvalidInput
from flashpoint.pairs import pair_codes, pair_key

if TYPE_CHECKING:
    from flashpoint.simulate.pair import PairSimulation


def _weeks(value: str) -> int:
    number, unit = value[:-1], value[-1:]
    if not number.isdigit() or unit not in ("w", "m"):
        raise InvalidInput(f"--horizon {value!r}: expected weeks or months such as 26w or 6m.")
    return int(number) * (1 if unit == "w" else 4)


def _table(result: PairSimulation) -> Table:
    checkpoints = sorted({w for w in (4, 8, 13, 26, 52, result.horizon) if w <= result.horizon})
    table = Table(
        "week",
        "P(stage ≥ 3)",
        "5–95%",
        "P(stage 4)",
        *(("with levers ≥ 3", "with levers 4") if result.with_levers else ()),
        title=f"{result.pair}: probability of having reached the stage by the week",
    )
    for w in checkpoints:
        b, v = result.baseline, result.with_levers
        row = [
            str(w),
            f"{b.reach3[w]:.2%} ± {b.reach3_se[w]:.2%}",
            f"{b.reach3_range[0, w]:.2%}–{b.reach3_range[1, w]:.2%}",
            f"{b.reach4[w]:.2%}",
        ]
        if v is not None:
            row += [f"{v.reach3[w]:.2%}", f"{v.reach4[w]:.2%}"]
        table.add_row(*row)
    return table


@app.command()
def simulate(
    ctx: typer.Context,
    dyad: PairOption,
    horizon: Annotated[str, typer.Option(help="Weeks (26w) or months (6m) ahead.")] = "26w",
    runs: Annotated[int, typer.Option(help="Monte Carlo runs.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same result.")] = 0,
    intervention: Annotated[
        Optional[list[str]],
        typer.Option(help="LEVER@4w (effect from the evidence) or LEVER@4w:0.7 (relative risk of a step up); repeatable."),
    ] = None,
    miscalculation: Annotated[
        float,
        typer.Option(help="Weekly probability that a misread move causes an unintended step up (0: as in the fitted history)."),
    ] = 0.0,
    ally_factor: Annotated[
        float, typer.Option(help="Relative risk of a step up once a third state has joined (1: no change).")
    ] = 1.0,
    plot: Annotated[Optional[Path], typer.Option(help="Write the chart to this .svg or .png file.")] = None,
    data_dir: Annotated[
        Optional[Path], typer.Option(help="A folder laid out like the shared data: list each side's ATOP defence-pact allies.")
    ] = None,
    format: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.table,
    date: AsOfDayOption = None,
) -> None:
    """Monte Carlo paths of a pair up and down the escalation ladder, with and without levers."""
    from flashpoint.charts import save_chart
    from flashpoint.simulate.pair import simulate_pair
    from flashpoint.simulate.plot import simulation_chart
    from flashpoint.simulate.report import simulation_dict
    from flashpoint.simulate.third_parties import defence_allies

    pair = pair_key(parse_dyad(dyad))
    with err.status(f"simulating {pair}"), read_store(ctx.obj) as con:
        result = simulate_pair(
            con,
            ctx.obj,
            pair,
            horizon=_weeks(horizon),
            runs=runs,
            seed=seed,
            interventions=tuple(intervention or ()),
            miscalculation=miscalculation,
            ally_factor=ally_factor,
            as_of=parse_date(date, "--date"),
        )
    if plot is not None:
        save_chart(simulation_chart(result), plot)
    allies = defence_allies(data_dir, pair_codes(pair)) if data_dir is not None else None
    if format is ListFormat.json:
        out.print_json(json.dumps({**simulation_dict(result), "allies": allies and {"year": allies[0], "allies": allies[1]}}))
        return
    _print_simulation(result, allies)
    if plot is not None:
        out.print(f"chart: {plot}")


def _print_simulation(result: PairSimulation, allies: tuple[int, dict[str, list[str]]] | None) -> None:
    from flashpoint.escalation.ladder import STAGES

    out.print(
        f"[bold]{result.pair}[/bold] from stage {result.start_stage} ({STAGES[result.start_stage]}), index "
        f"band {result.band}, week of {result.week_of}; {result.runs:,} runs, seed {result.seed}",
        highlight=False,
    )
    out.print(_table(result))
    for i in result.interventions:
        out.print(f"lever {i.lever} from week {i.week}: {i.basis}", highlight=False)
    paths = "; ".join(f"{p} ({share:.2%})" for p, share in result.baseline.common_paths)
    out.print(f"most common paths: {paths}", highlight=False)
    out.print(
        f"P(a third state joins within {result.horizon} weeks) = {result.baseline.third_party:.2%}; "
        f"{result.arms_race_note}; coupling to the ladder: "
        + (result.pressure.basis if result.pressure else result.coupling.note),
        highlight=False,
    )
    if allies is not None:
        out.print(
            f"defence-pact allies who could join (ATOP {allies[0]}): "
            + "; ".join(f"{side}: {', '.join(found) or 'none'}" for side, found in allies[1].items()),
            highlight=False,
        )


@evaluate_app.command("simulate")
def evaluate_simulate(
    ctx: typer.Context,
    series: Annotated[str, typer.Option(help="A stored score series (flashpoint ingest series).")] = "edge_weight",
    train_until: Annotated[str, typer.Option(help="Fit the chains on the weeks before this day.")] = "2021-01-01",
    horizon: Annotated[str, typer.Option(help="Weeks (12w) or months (3m) within which stage 3 must come.")] = "12w",
    step: Annotated[int, typer.Option(help="Weeks between forecast origins.", min=1)] = 4,
    format: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.table,
) -> None:
    """Backtest the simulator's P(stage ≥ 3) on a score series against the pure Markov chain."""
    from flashpoint.simulate.validation import backtest_simulator, series_histories
    from flashpoint.simulate.validation import render_markdown as render_validation_markdown

    with read_store(ctx.obj) as con:
        histories = series_histories(con, ctx.obj, series)
    result = backtest_simulator(
        histories, train_until=parse_date(train_until, "--train-until"), horizon=_weeks(horizon), step=step
    )
    if format is ListFormat.json:
        out.print_json(
            json.dumps(
                {
                    "design": result.design,
                    "scores": result.scores.to_dict("records"),
                    "reliability": result.reliability.to_dict("records"),
                }
            )
        )
        return
    typer.echo(render_validation_markdown(result), nl=False)
