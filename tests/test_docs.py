"""Documentation tells the truth: every command, option and setting is documented."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import typer

from flashpoint.cli import app
from flashpoint.config import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(group: object, prefix: str = "") -> list[tuple[str, object]]:
    found = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):
            found += _commands(command, path + " ")
        else:
            found.append((path, command))
    return found


def test_every_cli_command_and_option_is_in_docs_cli() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    root = typer.main.get_command(app)
    for path, command in _commands(root):
        assert f"flashpoint {path}" in text, f"'flashpoint {path}' is not documented in docs/cli.md"
        for param in command.params:
            if param.param_type_name == "option":
                assert any(opt in text for opt in param.opts), f"{path} {param.opts} is not documented"
    for param in root.params:
        if param.param_type_name == "option" and param.name != "help":
            assert any(opt in text for opt in param.opts), f"global option {param.opts} is not documented"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for field in fields(Settings):
        assert f"`{field.name}`" in text and f"FLASHPOINT_{field.name.upper()}" in text


def test_every_event_column_is_documented() -> None:
    from flashpoint.events.schema import EVENT_COLUMN_NAMES

    text = (DOCS / "events.md").read_text(encoding="utf-8")
    for name in EVENT_COLUMN_NAMES:
        assert f"`{name}`" in text


def test_every_human_coded_type_is_in_docs_event_types() -> None:
    from flashpoint.events.cameo import human_coded_types

    text = (DOCS / "event-types.md").read_text(encoding="utf-8")
    for t in human_coded_types():
        assert f"| {t.source} | {t.event_type} | {t.sub_event_type or ''} | `{t.cameo_code}`" in text, t


def test_every_measure_type_is_in_docs_auxiliary() -> None:
    from flashpoint.sources.measures import MEASURE_TYPES

    text = (DOCS / "auxiliary.md").read_text(encoding="utf-8")
    for name in MEASURE_TYPES:
        assert f"| `{name}` |" in text, name


def test_every_default_red_line_is_in_docs_redlines() -> None:
    from flashpoint.indicators.redlines import load_rules

    text = (DOCS / "redlines.md").read_text(encoding="utf-8")
    for rule in load_rules():
        assert f"| `{rule.name}` |" in text, rule.name


def test_every_metric_is_in_docs_metrics() -> None:
    from flashpoint.indicators.metrics import METRICS

    text = (DOCS / "metrics.md").read_text(encoding="utf-8")
    for metric in METRICS:
        assert f"| `{metric.name}` |" in text, metric.name


def test_docs_escalation_lists_the_registrys_index_weights() -> None:
    from flashpoint.escalation.ladder import WEIGHTED

    text = (DOCS / "escalation.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)`(?: \(a fall\))? \| ([0-9.]+) \|$", text, re.M))
    assert {name: float(weight) for name, weight in rows.items()} == {i.name: abs(i.index_weight) for i in WEIGHTED}


def test_every_panel_feature_and_target_is_in_docs_forecasts() -> None:
    from flashpoint.forecasts.event_panel import EVENT_FEATURES
    from flashpoint.forecasts.fatalities import FATALITY_FEATURES
    from flashpoint.forecasts.panels import FEATURES
    from flashpoint.forecasts.targets import EVENT_TARGETS, TARGETS

    text = (DOCS / "forecasts.md").read_text(encoding="utf-8")
    for name in (*FEATURES, *TARGETS, *EVENT_FEATURES, *EVENT_TARGETS, *FATALITY_FEATURES):
        assert f"| `{name}` |" in text, name


def test_the_python_guide_runs_as_written_on_the_demo_store(demo_db: Path, capsys) -> None:  # noqa: ANN001
    text = (DOCS / "python.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)
    code = "\n".join(blocks).replace('"~/.local/share/flashpoint/flashpoint-demo.duckdb"', repr(str(demo_db)))
    assert str(demo_db) in code and len(blocks) == 4
    names: dict[str, object] = {}
    exec(compile(code, "docs/python.md", "exec"), names)  # noqa: S102 - the guide's own examples
    assert len(names["events"]) and set(names["events"].cameo_code.str[:2]) == {"11"}
    assert len(names["rhetoric"]) and len(names["behind"]) and len(names["metrics"])
    assert names["top"].pair.nunique() == 5 and not names["ladder"].empty
    assert names["markdown"].startswith(b"# GEO-RUS: situation brief")
    out = capsys.readouterr().out
    # The demo has no past stage-3 escalation to learn from: the guide prints why there is no number.
    assert "too few cases (n = 0 positive" in out and "P(stage >= 3" not in out
