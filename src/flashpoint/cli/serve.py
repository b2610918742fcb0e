"""``flashpoint serve`` (the HTTP API and the dashboard) and ``flashpoint brief`` (a printable brief)."""

from __future__ import annotations

import errno
import socket
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from flashpoint.cli.common import AsOfDayOption, PairOption, app, out, parse_date, parse_dyad, read_store
from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.pairs import pair_key


class BriefFormat(str, Enum):
    md = "md"
    markdown = "markdown"
    html = "html"
    pdf = "pdf"


#: The brief's format by the file name's suffix (``--out``), and by the ``--format`` value.
_BRIEF_SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}
_BRIEF_FORMATS = {BriefFormat.md: "md", BriefFormat.markdown: "md", BriefFormat.html: "html", BriefFormat.pdf: "pdf"}


def _brief_format(format: BriefFormat | None, out_file: Path | None) -> str:
    """The brief's format: ``--format``, else the suffix of ``--out``, else Markdown.

    Raises
    ------
    InvalidInput
        When the two disagree (``--format html --out brief.pdf``).
    """
    named = _BRIEF_SUFFIXES.get(out_file.suffix.lower()) if out_file is not None else None
    asked = _BRIEF_FORMATS[format] if format is not None else None
    if asked is not None and named is not None and asked != named:
        raise InvalidInput(
            f"brief --format {format.value} --out {out_file}: the file name says {named}; give one of them, or make them agree."
        )
    return asked or named or "md"


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8765,
) -> None:
    """Serve the HTTP API (/api, OpenAPI at /openapi.json) and the dashboard (/) over the store."""
    serve_dashboard(ctx.obj, host=host, port=port)


def check_address(host: str, port: int, /) -> None:
    """Raise a clear error when the server could not listen on ``host``:``port`` (before anything
    starts, instead of uvicorn's message after the banner)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind((host, port))
    except OSError as exc:
        hint = (
            "another server is using it: choose another with --port"
            if exc.errno == errno.EADDRINUSE
            else "check --host and --port"
        )
        raise InvalidInput(f"cannot listen on {host}:{port} ({exc.strerror}); {hint}.") from None


def serve_dashboard(settings: Settings, /, *, host: str, port: int) -> None:
    """Run the API and dashboard until Ctrl-C, having printed the address."""
    import uvicorn

    from flashpoint.api.app import create_app
    from flashpoint.api.security import allowed_hosts

    check_address(host, port)
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # an IPv6 address in brackets
    out.print(f"Flashpoint dashboard on [bold]http://{where}/[/bold] (API docs http://{where}/docs); Ctrl-C stops it.")
    hosts = allowed_hosts(settings.api_allowed_hosts)
    if host not in hosts and "*" not in hosts:
        out.print(
            f"It answers requests naming {', '.join(hosts)} only (api_allowed_hosts): set "
            "FLASHPOINT_API_ALLOWED_HOSTS to the names clients use to reach it.",
            highlight=False,
        )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


@app.command()
def brief(
    ctx: typer.Context,
    dyad: PairOption,
    date: AsOfDayOption = None,
    format: Annotated[
        Optional[BriefFormat],
        typer.Option("--format", help="md (markdown), html or pdf (default: from the --out file's suffix, else md)."),
    ] = None,
    out_file: Annotated[
        Optional[Path],
        typer.Option("--out", help="Write to this file (default: standard output, for a PDF only when redirected)."),
    ] = None,
) -> None:
    """A one-page situation brief: stage and trend, what changed and why, metrics, forecast, levers."""
    from flashpoint.reports.brief import build_brief, render_brief

    kind = _brief_format(format, out_file)
    if kind == "pdf" and out_file is None and sys.stdout.isatty():
        raise InvalidInput(
            "brief --format pdf: a PDF is not for the terminal; give --out FILE.pdf or redirect standard output to a file."
        )
    pair = pair_key(parse_dyad(dyad))
    with read_store(ctx.obj) as con:
        body, _ = render_brief(build_brief(con, ctx.obj, pair, as_of=parse_date(date, "--date")), kind)
    if out_file is not None:
        out_file.write_bytes(body)
        out.print(f"{kind} brief written to {out_file}", highlight=False)
    elif kind == "pdf":
        sys.stdout.buffer.write(body)
    else:
        typer.echo(body.decode(), nl=False)
