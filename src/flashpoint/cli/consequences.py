"""``flashpoint consequences``: what escalation would bring to a pair, from historical analogues."""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from flashpoint.cli.common import AsOfDayOption, PairOption, app, err, out, parse_date, parse_dyad
from flashpoint.cli.escalation import evaluate_app
from flashpoint.config import Settings
from flashpoint.consequences.tables import reference_folder
from flashpoint.pairs import pair_key


class ConsequenceFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


def _stage_up(settings: Settings, pair: str, day: dt.date | None) -> int:
    """The stage one up from the pair's in the store on ``day``; 3 when the store has no stage for it."""
    from flashpoint.cli.common import read_store
    from flashpoint.consequences.analogues import stage_up
    from flashpoint.escalation.ladder import current_stage

    if not Path(settings.db).exists():
        err.print(f"no store at {settings.db} to read the pair's stage from: consequences of stage 3", highlight=False)
        return 3
    with read_store(settings) as con:
        stage = current_stage(con, settings, pair, day)
    now = "no stage" if stage is None else f"stage {stage}"
    err.print(f"{pair} is at {now} in the store: the consequences of stage {stage_up(stage)}", highlight=False)
    return stage_up(stage)


@app.command()
def consequences(
    ctx: typer.Context,
    dyad: PairOption,
    stage: Annotated[
        Optional[int],
        typer.Option(
            help="The stage the pair would reach: 3 (limited use of force) or 4 (war); default: the next stage up "
            "from the pair's stage in the store (3 without one).",
            min=3,
            max=4,
        ),
    ] = None,
    date: AsOfDayOption = None,
    data_dir: Annotated[
        Optional[Path],
        typer.Option(
            help="A folder laid out like the shared data (peacesciencer/, consequences/); default: the reference_data setting."
        ),
    ] = None,
    format: Annotated[ConsequenceFormat, typer.Option("--format", help="Output format.")] = ConsequenceFormat.table,
) -> None:
    """What escalation would bring to a pair, from the past disputes most like it.

    Deaths, war, refugees, spillover to neighbours, trade, growth, military spending and third states,
    each with its range and number of analogues (docs/consequences.md)."""
    from flashpoint.consequences.analogues import pair_consequences, render_consequences_markdown, shown

    folder = reference_folder(ctx.obj, data_dir)
    pair, day = pair_key(parse_dyad(dyad)), parse_date(date, "--date")
    if stage is None:
        stage = _stage_up(ctx.obj, pair, day)
    found = pair_consequences(pair, stage=stage, data_dir=folder, as_of=day or dt.date.today())
    if format is ConsequenceFormat.json:
        out.print_json(json.dumps(found.to_dict()))
        return
    if format is ConsequenceFormat.markdown or not found.analogues:
        out.print(render_consequences_markdown(found), highlight=False, markup=False)
        return
    table = Table(
        "consequence",
        "median or share",
        "range",
        "n",
        "source",
        "caveat",
        title=f"If {pair} reached stage {stage}: {found.analogues} analogues ({', '.join(found.criteria) or 'all disputes'})",
    )
    for f in found.figures:
        table.add_row(
            f.label,
            shown(f, f.value),
            f"{shown(f, f.low)} to {shown(f, f.high)}",
            str(f.n),
            f.source,
            f.caveat,
        )
    out.print(table)
    stake = render_consequences_markdown(found).split("What is at stake for this pair:", 1)[1]
    out.print("What is at stake for this pair:" + stake, highlight=False, markup=False)


@evaluate_app.command("consequences")
def evaluate_consequences(
    ctx: typer.Context,
    data_dir: Annotated[
        Optional[Path],
        typer.Option(
            help="A folder laid out like the shared data (peacesciencer/, consequences/); default: the reference_data setting."
        ),
    ] = None,
    stage: Annotated[int, typer.Option(help="The stage of the disputes scored: 3 or 4.", min=3, max=4)] = 3,
    cutoff: Annotated[int, typer.Option(help="Score the disputes from this year on.")] = 1946,
) -> None:
    """Backtest the consequence estimates against what followed past disputes.

    Each dispute from the cut-off on is estimated from the analogues known the year before it; its
    outcome is scored against the stated range (coverage) or share (Brier score)."""
    from flashpoint.consequences.backtest import backtest_consequences, render_backtest_markdown

    folder = reference_folder(ctx.obj, data_dir)
    out.print(render_backtest_markdown(backtest_consequences(folder, stage=stage, cutoff=cutoff)), highlight=False, markup=False)
