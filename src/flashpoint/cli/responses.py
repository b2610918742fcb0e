"""Commands of the diplomatic responses: ``levers``, ``evidence`` and ``respond``."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from flashpoint.cli.common import (
    AsOfDayOption,
    OutputFormat,
    PairOption,
    app,
    err,
    out,
    parse_date,
    parse_dyad,
    read_store,
    write_rows,
)
from flashpoint.errors import InvalidInput
from flashpoint.pairs import pair_key

if TYPE_CHECKING:
    import pandas as pd

    from flashpoint.responses.evidence import Estimate


class DocFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


@app.command(name="levers")
def list_levers(
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.table,
) -> None:
    """The catalogue of diplomatic levers: what each answers, who applies it, its risks."""
    import pandas as pd
    import pyarrow as pa

    from flashpoint.responses.catalogue import levers, render_levers_markdown

    if format is DocFormat.markdown:
        typer.echo(render_levers_markdown(), nl=False)
        return
    rows = pd.DataFrame(
        [
            {
                "lever": lv.name,
                "title": lv.title,
                "answers": ", ".join(lv.answers),
                "stages": ", ".join(map(str, lv.stages)),
                "actors": "; ".join(lv.actors),
                "evidence": ", ".join(s.base for s in lv.evidence),
            }
            for lv in levers()
        ]
    )
    if format is not DocFormat.table:
        write_rows(pa.Table.from_pandas(rows, preserve_index=False), OutputFormat(format.value))
        return
    table = Table("lever", "title", "answers", "stages", "evidence bases", title="Diplomatic levers (docs/levers.md)")
    for r in rows.itertuples():
        table.add_row(r.lever, r.title, r.answers, r.stages, r.evidence or "—")
    out.print(table)


@app.command()
def evidence(
    ctx: typer.Context,
    lever: Annotated[Optional[str], typer.Argument(help="A lever (flashpoint levers); omit with --all.")] = None,
    all_levers: Annotated[bool, typer.Option("--all", help="Every lever.")] = False,
    base: Annotated[
        Optional[str],
        typer.Option(help="Comma-separated evidence bases (default all the store holds; an unknown name lists them)."),
    ] = None,
    boot: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals.", min=50)] = 500,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.table,
) -> None:
    """What followed a lever in comparable historical situations: weighted effect, interval, sizes."""
    import pyarrow as pa

    from flashpoint.responses.catalogue import BASES, get_lever, levers
    from flashpoint.responses.evidence import estimates_frame, levers_evidence, render_evidence_markdown

    if (lever is None) == (not all_levers):
        raise InvalidInput("evidence: name one lever (flashpoint levers lists them) or give --all.")
    chosen = levers() if all_levers else (get_lever(lever),)
    bases = tuple(b.strip() for b in base.split(",")) if base else tuple(BASES)
    unknown = [b for b in bases if b not in BASES]
    if unknown:
        raise InvalidInput(f"--base {unknown[0]!r}: use {', '.join(BASES)}.")
    with err.status("estimating"), read_store(ctx.obj) as con:
        found = levers_evidence(con, ctx.obj, chosen, bases=bases, n_boot=boot)
    frame = estimates_frame(found)
    if format is DocFormat.json:
        out.print_json(json.dumps([e.to_dict() for e in found]))
    elif format is DocFormat.csv:
        write_rows(pa.Table.from_pandas(frame.round(4), preserve_index=False), OutputFormat.csv)
    elif format is DocFormat.markdown:
        typer.echo(render_evidence_markdown(frame), nl=False)
    else:
        _evidence_table(frame, found)


def _evidence_table(frame: pd.DataFrame, found: list[Estimate]) -> None:
    import pandas as pd

    from flashpoint.responses.evidence import CAVEATS

    if frame.empty:
        out.print(
            "no evidence base in this store for that lever: ingest ICB crises (flashpoint ingest crises FILE) "
            "or UCDP terminations (flashpoint ingest terminations FILE); the published figures are in "
            "docs/evidence.md.",
            highlight=False,
        )
        return
    table = Table(
        "lever",
        "base",
        "outcome",
        "effect",
        "95% interval",
        "rate with/without",
        "n with/without",
        "verdict",
        title="What followed each lever (inverse-propensity weighted; points = percentage points)",
    )
    for r in frame.itertuples():
        effect = "—" if pd.isna(r.effect) else f"{r.effect * 100:+.1f}"
        interval = "—" if pd.isna(r.effect) else f"{r.low * 100:+.1f} to {r.high * 100:+.1f}"
        rates = "—" if pd.isna(r.effect) else f"{r.treated_rate:.2f} / {r.control_rate:.2f}"
        table.add_row(r.lever, r.base, r.outcome, effect, interval, rates, f"{r.n_treated}/{r.n_control}", r.verdict)
    out.print(table)
    missing = [b for b in ("icb", "ucdp") if b not in set(frame["base"])]
    if missing:
        out.print(
            f"not in this store: {', '.join(missing)}; their published estimates are in docs/evidence.md and "
            "shown by flashpoint respond (ingest them with flashpoint ingest crises|terminations FILE).",
            highlight=False,
        )
    for base in sorted({e.base for e in found}):
        out.print(f"[bold]{base}[/bold]: {CAVEATS[base]}", highlight=False)


@app.command()
def respond(
    ctx: typer.Context,
    dyad: PairOption,
    date: AsOfDayOption = None,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format (table, json or markdown).")] = DocFormat.table,
    data_dir: Annotated[
        Optional[Path],
        typer.Option(help="A folder laid out like the shared data: show the pair's structure (alliances, rivalry, trade, IGOs)."),
    ] = None,
) -> None:
    """Diplomatic levers ranked for a pair's current state, with why, who, evidence and risks."""
    from flashpoint.forecasts.panels import structural_rows
    from flashpoint.responses.ranking import recommend, recommendation_dict, render_recommendations_markdown

    pair = pair_key(parse_dyad(dyad))
    structure = structural_rows(data_dir) if data_dir is not None else None
    with err.status("reading the pair's state and the evidence"), read_store(ctx.obj) as con:
        state, ranked = recommend(con, ctx.obj, pair, as_of=parse_date(date, "--date"), structure=structure)
    if format is DocFormat.json:
        out.print_json(json.dumps(recommendation_dict(state, ranked), default=str))
        return
    if format is DocFormat.csv:
        raise InvalidInput("respond: use --format table, json or markdown.")
    text = render_recommendations_markdown(state, ranked)
    typer.echo(text, nl=False) if format is DocFormat.markdown else _print_recommendations(text)


def _print_recommendations(text: str) -> None:
    from rich.markdown import Markdown

    out.print(Markdown(text))
