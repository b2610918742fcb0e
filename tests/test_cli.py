from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from flashpoint.cli import app

runner = CliRunner()


def _run(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FLASHPOINT_DB": str(db), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "flashpoint", *args], env=env, capture_output=True, text=True, timeout=300)


def test_stats_json_counts_the_bundled_demo(demo_db: Path) -> None:
    result = runner.invoke(app, ["--db", str(demo_db), "stats", "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["events"] == 105_438
    assert stats["sources"] == [
        {"source": "gdelt1", "coding": "machine", "events": 105_438, "first_date": "2011-06-01", "last_date": "2013-05-31"}
    ]
    assert stats["quarantined"] == 0 and stats["files"] == 2  # the GDELT slice and the SIPRI figures
    with duckdb.connect(str(demo_db), read_only=True) as con:
        countries = con.execute(
            "SELECT count(DISTINCT c) FROM (SELECT actor1_iso3 AS c FROM events UNION ALL SELECT actor2_iso3 FROM events)"
        ).fetchone()[0]
    assert stats["countries"] == countries


def test_quarantine_lists_bad_rows_with_their_line(tmp_path: Path, gdelt2_lines) -> None:
    bad = gdelt2_lines[1].split("\t")
    bad[1] = "20171399"
    (tmp_path / "bad.tsv").write_text("\n".join([gdelt2_lines[0], "\t".join(bad)]) + "\n")
    db = str(tmp_path / "q.duckdb")
    assert runner.invoke(app, ["--db", db, "ingest", "gdelt", str(tmp_path / "bad.tsv")]).exit_code == 0
    result = runner.invoke(app, ["--db", db, "quarantine", "--format", "json"])
    [row] = json.loads(result.output)
    assert (row["line_number"], row["reason"]) == (2, "SQLDATE 20171399 is not a date (YYYYMMDD)")
    assert row["raw_line"] == "\t".join(bad)
    table = runner.invoke(app, ["--db", db, "quarantine"]).output
    assert "SQLDATE 20171399" in table and "␉".join(bad[:2]) in table  # tabs shown, not spaces


def test_events_filters_by_dyad_both_directions(demo_db: Path) -> None:
    both = runner.invoke(app, ["--db", str(demo_db), "events", "--dyad", "GEO-RUS", "--limit", "0", "--format", "json"])
    directed = runner.invoke(
        app, ["--db", str(demo_db), "events", "--dyad", "georgia-russia", "--directed", "--limit", "0", "--format", "json"]
    )
    rows, forward = json.loads(both.output), json.loads(directed.output)
    assert {(r["actor1_iso3"], r["actor2_iso3"]) for r in rows} == {("GEO", "RUS"), ("RUS", "GEO")}
    assert {(r["actor1_iso3"], r["actor2_iso3"]) for r in forward} == {("GEO", "RUS")}
    assert 0 < len(forward) < len(rows)


def test_events_cameo_and_dates_as_csv(demo_db: Path) -> None:
    result = runner.invoke(
        app,
        [
            "--db",
            str(demo_db),
            "events",
            "--country",
            "GEO",
            "--cameo",
            "13",
            "--since",
            "2012-01-01",
            "--until",
            "2012-03-31",
            "--format",
            "csv",
            "--limit",
            "0",
        ],
    )
    lines = result.output.strip().splitlines()
    header = lines[0].replace('"', "").split(",")
    rows = [dict(zip(header, line.replace('"', "").split(","))) for line in lines[1:]]
    assert rows and all(r["cameo_code"].startswith("13") for r in rows)
    assert all("2012-01-01" <= r["event_date"] <= "2012-03-31" for r in rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["events", "--dyad", "GEO"], "expected two countries joined by '-'"),
        (["events", "--dyad", "GEO-XYZ"], "flashpoint countries --search xyz"),
        (["ladder", "--dyad", "GEO-georgia"], "a pair needs two different countries"),
        (["backtest", "--panel", "dyad-week"], "panel 'dyad-week': use dyad-year, dyad-month or country-month"),
        (
            ["indicators", "--dyad", "GEO-RUS", "--since", "2013-01-01", "--until", "2012-01-01"],
            "since 2013-01-01 is after until 2012-01-01",
        ),
        (["events", "--since", "2013-01-01", "--until", "2012-01-01"], "since 2013-01-01 is after until 2012-01-01"),
        (["events", "--since", "yesterday"], "expected a date as YYYY-MM-DD"),
        (["events", "--cameo", "threat"], "expected a CAMEO code"),
        (["cite", "nosuch"], "no data source named 'nosuch'"),
        (["ingest", "gdelt", "/nonexistent/*.CSV"], "matches no file"),
    ],
)
def test_errors_are_one_line_with_exit_code_1(demo_db: Path, args: list[str], message: str) -> None:
    result = _run(*args, db=demo_db)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # one message, wrapped at most once by the terminal


def test_stats_on_a_missing_store_says_how_to_create_one(tmp_path: Path) -> None:
    result = _run("stats", db=tmp_path / "none.duckdb")
    assert result.returncode == 1 and "flashpoint demo" in result.stderr


def test_ingest_reports_counts_and_is_idempotent(tmp_path: Path) -> None:
    data = Path(__file__).parent / "data"
    first = _run("ingest", "gdelt", str(data), db=tmp_path / "s.duckdb")
    second = _run("ingest", "gdelt", str(data), db=tmp_path / "s.duckdb")
    assert first.returncode == 0 and "20 events stored" in first.stdout
    assert second.returncode == 0 and "0 events stored" in second.stdout and "2 files skipped" in second.stdout


def test_countries_and_cite() -> None:
    found = runner.invoke(app, ["countries", "--search", "georgia"])
    assert "GEO" in found.output and "GG" in found.output
    cited = runner.invoke(app, ["cite", "gdelt"])
    assert "Leetaru" in cited.output and "GDELT Project" in cited.output


def test_show_sources_lists_every_row_of_each_incident(demo_db: Path) -> None:
    result = runner.invoke(
        app,
        [
            "--db",
            str(demo_db),
            "events",
            "--dyad",
            "GEO-RUS",
            "--cameo",
            "19",
            "--limit",
            "5",
            "--show-sources",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    incidents = json.loads(result.output)
    assert 1 <= len(incidents) <= 5
    with duckdb.connect(str(demo_db), read_only=True) as con:
        for incident in incidents:
            expected = con.execute("SELECT count(*) FROM events WHERE cluster_id = ?", [incident["cluster_id"]]).fetchone()[0]
            assert len(incident["rows"]) == expected
            assert all(r["cluster_id"] == incident["cluster_id"] for r in incident["rows"])


def test_dedup_command_reclusters_with_new_settings(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(demo_db.read_bytes())
    wider = runner.invoke(app, ["--db", str(db), "dedup"], env={"FLASHPOINT_DEDUP_WINDOW_DAYS": "3"})
    assert wider.exit_code == 0, wider.output
    with duckdb.connect(str(demo_db), read_only=True) as con:
        before = con.execute("SELECT count(DISTINCT cluster_id) FROM events").fetchone()[0]
    with duckdb.connect(str(db), read_only=True) as con:
        after = con.execute("SELECT count(DISTINCT cluster_id) FROM events").fetchone()[0]
    assert after < before
    assert f"{after:,} incidents" in wider.output.replace("\n", " ")


def test_explain_lists_the_weightiest_events_and_names_rows_without_a_link(demo_db: Path) -> None:
    # The README's example: GDELT 1.0 rows of 2012 carry no source URL.
    args = ["--db", str(demo_db), "explain", "--dyad", "GEO-RUS", "--period", "2012-12", "--indicator", "rhetoric"]
    shown = runner.invoke(app, args, env={"COLUMNS": "200"})
    listed = runner.invoke(app, [*args, "--format", "json"])
    assert shown.exit_code == 0, shown.output
    rows = json.loads(listed.output)
    assert rows and all(r["event_date"].startswith("2012-12") for r in rows)
    assert all({r["actor1_iso3"], r["actor2_iso3"]} == {"GEO", "RUS"} for r in rows)
    assert [r["weight"] for r in rows] == sorted((r["weight"] for r in rows), reverse=True)
    assert f"{len(rows)} events" in shown.output
    for r in rows:
        assert r["source_url"] is None and r["event_id"] in shown.output


def test_top_ranks_pairs_on_the_whole_period_highest_first(demo_db: Path) -> None:
    # The README's ranking: pairs highest on the force z-score in August 2012 (a month of the demo).
    args = ["--db", str(demo_db), "indicators", "--top", "4", "--freq", "month", "--period", "2012-08", "--by", "force"]
    listed = runner.invoke(app, [*args, "--format", "json"])
    shown = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and shown.exit_code == 0, listed.output + shown.output
    rows = [r for r in json.loads(listed.output) if r["indicator"] == "force"]
    pairs = [r["pair"] for r in rows]
    assert len(pairs) == 4 and all(r["period"] == "2012-08-01" for r in rows)
    assert [r["z"] for r in rows] == sorted((r["z"] for r in rows), reverse=True)
    # Each pair's figures are those of its own monthly view: every day of August is counted.
    for r in rows:
        own = runner.invoke(app, ["--db", str(demo_db), "indicators", "--dyad", r["pair"], "--freq", "month", "--format", "json"])
        month = [m for m in json.loads(own.output) if m["period"] == "2012-08-01" and m["indicator"] == "force"]
        assert [(m["total"], m["value"], m["z"]) for m in month] == [(r["total"], r["value"], r["z"])]
    with duckdb.connect(str(demo_db), read_only=True) as con:
        late = con.execute(
            "SELECT count(*) FROM events WHERE pair IN (SELECT unnest(?)) AND event_date BETWEEN '2012-08-02' AND '2012-08-31'",
            [pairs],
        ).fetchone()[0]
    assert late > 0  # the ranked pairs have events after the month's first day
    # The table lists them in the same order, each period as it is written on the command line.
    lines = [line for line in shown.output.splitlines() if "2012-08" in line]
    assert [next(p for p in pairs if p in line) for line in lines] == pairs


def test_help_shows_flags_without_a_value_placeholder() -> None:
    # Typer 0.29 printed "<bool>" after every flag, as if it took a value; pyproject pins 0.27.
    shown = runner.invoke(app, ["--help"], env={"COLUMNS": "120"})
    assert shown.exit_code == 0
    verbose = next(line for line in shown.output.splitlines() if "--verbose" in line)
    assert "Log what happens." in verbose and "<bool>" not in shown.output


def _commands(command: object, path: tuple[str, ...] = ("flashpoint",)) -> dict[tuple[str, ...], object]:
    """Every command and group of the command line, by its words."""
    found = {path: command}
    for name, sub in getattr(command, "commands", {}).items():
        found.update(_commands(sub, (*path, name)))
    return found


def test_every_command_is_summed_up_in_one_line() -> None:
    # The help lists each command with its docstring's first paragraph and keeps its line
    # breaks: a summary over two source lines was shown broken mid-sentence.
    commands = _commands(typer.main.get_command(app))
    assert len(commands) > 30
    broken = [" ".join(path) for path, command in commands.items() if "\n" in (command.help or "").strip().split("\n\n")[0]]
    assert broken == []


def test_a_gap_in_the_data_is_named_under_the_table(demo_db: Path) -> None:
    # The bundled slice has no March 2013: not a month of zeros, but no row and a caption.
    shown = runner.invoke(
        app, ["--db", str(demo_db), "indicators", "--dyad", "GEO-RUS", "--since", "2012-12-01"], env={"COLUMNS": "200"}
    )
    assert shown.exit_code == 0 and "│ 2013-02 " in shown.output and "│ 2013-04 " in shown.output
    assert "│ 2013-03 " not in shown.output and "no data for 2013-03: a gap in the store" in shown.output
    later = runner.invoke(
        app, ["--db", str(demo_db), "indicators", "--dyad", "GEO-RUS", "--since", "2013-04-01"], env={"COLUMNS": "200"}
    )
    assert later.exit_code == 0 and "no data for" not in later.output  # no gap between the periods shown
    weekly = runner.invoke(
        app,
        ["--db", str(demo_db), "indicators", "--dyad", "GEO-RUS", "--freq", "week", "--since", "2013-01-01"],
        env={"COLUMNS": "200"},
    )
    assert "no data for 2013-W10 to 2013-W13: a gap" in weekly.output  # consecutive periods as one span
    for command in (
        ["ladder", "--dyad", "GEO-RUS", "--freq", "month", "--since", "2013-01-01"],
        ["explain", "--dyad", "GEO-RUS", "--period", "2013-03", "--indicator", "rhetoric"],
        ["indicators", "--top", "3", "--period", "2013-03"],
    ):
        named = runner.invoke(app, ["--db", str(demo_db), *command], env={"COLUMNS": "200"})
        assert named.exit_code == 0 and "no data for 2013-03: a gap in the store" in named.output, command
    # The store ends on Friday 2013-05-31: its last week is still under way, and the table says so.
    latest = runner.invoke(
        app, ["--db", str(demo_db), "ladder", "--dyad", "KOR-PRK", "--since", "2013-05-01"], env={"COLUMNS": "200"}
    )
    assert "2013-W22 is not over: the store's events end on 2013-05-31" in latest.output
    found = json.loads(runner.invoke(app, ["--db", str(demo_db), "stats", "--json"]).output)
    assert found["gaps"] == [
        {"first": "2012-08-25", "last": "2012-08-25", "days": 1},
        {"first": "2013-03-01", "last": "2013-03-31", "days": 31},
    ]
    stats = runner.invoke(app, ["--db", str(demo_db), "stats"], env={"COLUMNS": "300"})
    assert "gaps in the data" in stats.output and "2012-08-25; 2013-03-01 to 2013-03-31" in stats.output


def test_an_empty_view_says_so(demo_db: Path) -> None:
    ranked = runner.invoke(app, ["--db", str(demo_db), "indicators", "--top", "3", "--period", "1990-01"])
    assert ranked.exit_code == 0 and "no pair has incidents in 1990-01 (month view)" in ranked.output
    listed = runner.invoke(app, ["--db", str(demo_db), "indicators", "--top", "3", "--period", "1990-01", "--format", "json"])
    assert listed.exit_code == 0 and json.loads(listed.output) == []


def test_alerts_filtered_to_nothing_say_so_and_not_that_none_are_stored(demo_db: Path) -> None:
    found = runner.invoke(app, ["--db", str(demo_db), "alerts", "--dyad", "ABW-ZWE"], env={"COLUMNS": "200"})
    assert found.exit_code == 0 and "no stored alert matches these options" in found.output
    assert "ISR-PSE" in runner.invoke(app, ["--db", str(demo_db), "alerts", "--dyad", "ISR-PSE"], env={"COLUMNS": "200"}).output


def test_the_command_line_starts_without_the_model_chart_and_server_libraries() -> None:
    """scikit-learn, Altair and FastAPI load in the commands that use them, not for every command
    (they made `flashpoint --help` take 2.6 s instead of 1.4 s)."""
    heavy = ("sklearn", "scipy.stats", "altair", "fastapi", "uvicorn", "jinja2")
    code = f"import sys, flashpoint.cli; print(*[m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert loaded.stdout.split() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["indicators", "--freq", "decade"], "'decade' is not one of 'day', 'week', 'month', 'year'"),
        (["events", "--limit", "-1"], "-1 is not in the range x>=0"),
        (["nosuchcommand"], "No such command 'nosuchcommand'"),
        (["ingest", "csv", "x.csv"], "Missing option '--mapping'"),
    ],
)
def test_a_usage_error_is_a_message_and_exit_code_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = _run(*args, db=tmp_path / "s.duckdb")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_ctrl_c_while_the_watch_waits_ends_it_with_exit_code_130(tmp_path: Path) -> None:
    env = {**os.environ, "FLASHPOINT_DB": str(tmp_path / "s.duckdb"), "FLASHPOINT_GDELT_BASE_URL": "http://127.0.0.1:9"}
    command = [sys.executable, "-m", "flashpoint", "watch", "--interval", "600"]
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "feed unreachable" in line:  # the first poll failed: the watch now waits for the next one
                break
        proc.send_signal(signal.SIGINT)
        said = proc.stderr.read()
        assert proc.wait(timeout=60) == 130
    assert "interrupted" in said and "Traceback" not in said


@pytest.mark.parametrize("command", [["serve"], ["demo", "--serve"]])
def test_serving_on_a_port_in_use_says_so_before_starting(demo_db: Path, tmp_path: Path, command: list[str]) -> None:
    """Before anything starts: the demo does not build its store first."""
    built = tmp_path / "demo.duckdb"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run(*command, "--port", str(port), *(["--out", str(built)] if command[0] == "demo" else []), db=demo_db)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "choose another with --port" in result.stderr
    assert "Flashpoint dashboard on" not in result.stdout and not built.exists()


def test_a_pair_without_incidents_gives_an_empty_table_in_every_format(demo_db: Path) -> None:
    said = {
        fmt: runner.invoke(app, ["--db", str(demo_db), "indicators", "--dyad", "ISL-NZL", "--format", fmt])
        for fmt in ("csv", "json")
    }  # a pair with no event: an IndexError before
    assert all(result.exit_code == 0 for result in said.values())
    assert said["csv"].output.startswith('"pair","period","indicator"') and said["json"].output.strip() == "[]"


def test_alerts_limit_0_lists_them_all_as_events_does(demo_db: Path) -> None:
    every = json.loads(runner.invoke(app, ["--db", str(demo_db), "alerts", "--limit", "0", "--format", "json"]).output)
    few = json.loads(runner.invoke(app, ["--db", str(demo_db), "alerts", "--limit", "3", "--format", "json"]).output)
    with duckdb.connect(str(demo_db), read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM alerts").fetchone()[0]
    assert len(few) == 3 and len(every) == stored > 50


def test_the_command_line_loads_no_data_library_before_a_command_needs_it() -> None:
    """`flashpoint --help` and the commands that read no store start without pandas, NumPy, Arrow,
    DuckDB, Ibis or scikit-learn (a second of CPU on every command before): each command imports
    what it needs when it runs (benchmarks/startup.py measures the CPU)."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from typer.main import get_command\n"
        "from flashpoint.cli import app\n"
        "get_command(app)\n"  # every command and option built, as --help does
        "heavy = ('pandas', 'numpy', 'pyarrow', 'duckdb', 'ibis', 'sklearn', 'numba', 'scipy')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
