"""``flashpoint backtest``: forecast models against their baselines on a real panel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from flashpoint.cli.common import ListFormat, app, err, out
from flashpoint.errors import InvalidInput
from flashpoint.forecasts.backtest import backtest as run_backtest
from flashpoint.forecasts.models import MODELS
from flashpoint.forecasts.panels import TARGETS, UNITS, build_panel


def _scores_table(result, title: str) -> Table:  # noqa: ANN001
    table = Table("model", "kind", "Brier", "Brier skill", "log loss", "ROC-AUC", "PR-AUC", "mean forecast",
                  "base rate", "n", title=title)
    for r in result.scores.itertuples():
        table.add_row(r.model, r.kind, f"{r.brier:.5f}", f"{r.brier_skill:+.4f}", f"{r.log_loss:.4f}",
                      f"{r.roc_auc:.3f}", f"{r.pr_auc:.3f}", f"{r.mean_forecast:.4f}", f"{r.base_rate:.4f}", f"{r.n:,}")
    return table


@app.command()
def backtest(
    ctx: typer.Context,
    panel: Annotated[str, typer.Option(help=f"Panel: {', '.join(UNITS)}.")] = "dyad-year",
    target: Annotated[str, typer.Option(help=f"Target: {', '.join(TARGETS)}.")] = "onset",
    test_start: Annotated[int, typer.Option(help="First target year forecast.")] = 1986,
    test_end: Annotated[Optional[int], typer.Option(help="Last target year (default: the last with outcomes).")] = None,
    step: Annotated[int, typer.Option(help="Years between refits (rolling origin).", min=1)] = 5,
    first_year: Annotated[Optional[int], typer.Option(help="Drop rows before this year (a reduced run).")] = None,
    models: Annotated[str, typer.Option(help=f"Comma-separated models: {', '.join(MODELS)}.")] = ",".join(MODELS),
    data_dir: Annotated[Optional[Path], typer.Option(help="A folder laid out like the shared data "
                                                          "(peacesciencer/*.csv).")] = None,
    format: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.table,
) -> None:
    """Rolling-origin backtest of the forecast models and their baselines on a real panel."""
    if data_dir is None:
        raise InvalidInput("backtest: give --data-dir, a folder laid out like the shared data (peacesciencer/*.csv).")
    chosen = tuple(m.strip() for m in models.split(",") if m.strip())
    with err.status(f"building the {panel} panel and backtesting"):
        result = run_backtest(build_panel(panel, data_dir=data_dir), target=target, test_start=test_start,
                              test_end=test_end, step=step, models=chosen, first_year=first_year)
    if format is ListFormat.json:
        out.print_json(json.dumps({"design": result.design, "scores": result.scores.to_dict("records"),
                                   "reliability": {k: v.to_dict("records") for k, v in result.reliability.items()}}))
        return
    years = result.design["test_years"]
    out.print(_scores_table(result, f"{panel}, target {target}, {years[0]}–{years[1]}; skill against the best "
                                    "baseline"))
    for origin in result.design["origins"]:
        out.print(f"origin {origin['origin']}: trained on {origin['train_rows']:,} rows "
                  f"({origin['train_positives']:,} positive), forecast {origin['test_rows']:,}")
