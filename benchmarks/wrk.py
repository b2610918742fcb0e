"""Loading the real server: ``flashpoint serve`` started on a free loopback port, and bounded
runs of wrk (a C load generator, Debian package ``wrk``) driven by ``requests.lua``: each
connection sends the listed paths in turn until its thread has sent its share, and prints the
latency percentiles and counts as JSON. Several runs may go at once (one per endpoint of a
mix), each reporting its own latencies."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

LUA = Path(__file__).with_name("requests.lua")


@dataclass
class Run:
    """One wrk process under way."""

    process: subprocess.Popen
    marker: Path
    threads: int


def require() -> None:
    """Stop with a message when wrk is not installed."""
    if shutil.which("wrk") is None:
        sys.exit("the load generator is wrk: install it (Debian: apt-get install wrk) and run again.")


def start(
    url: str, paths: list[str], *, clients: int, threads: int, requests: int, workdir: Path, tag: str, seconds: float = 600.0
) -> Run:
    """wrk sending ``requests`` requests (``paths`` in turn) from ``clients`` connections, or
    until ``seconds`` pass."""
    listed = workdir / f"wrk_{tag}_paths.txt"
    listed.write_text("\n".join(paths) + "\n")
    marker = workdir / f"wrk_{tag}_done."
    for old in workdir.glob(marker.name + "*"):
        old.unlink()
    process = subprocess.Popen(
        [
            "wrk",
            f"-t{threads}",
            f"-c{max(clients, threads)}",
            f"-d{int(seconds)}s",
            "--timeout",
            "120s",
            "-s",
            str(LUA),
            url,
            "--",
            str(listed),
            str(max(requests // threads, 1)),
            str(marker),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    return Run(process, marker, threads)


def finish(runs: list[Run]) -> list[dict[str, float]]:
    """Wait until every run has sent its requests (or ended), stop them, and return each one's
    counts and latency percentiles (ms) and the seconds its requests took."""

    def done(run: Run) -> bool:
        return run.process.poll() is not None or len(list(run.marker.parent.glob(run.marker.name + "*"))) >= run.threads

    while not all(done(run) for run in runs):
        time.sleep(0.05)
    found = []
    for run in runs:
        if run.process.poll() is None:
            run.process.send_signal(signal.SIGINT)
        output = run.process.communicate(timeout=60)[0]
        found.append(json.loads(output.strip().splitlines()[-1]))
    return found


def serve(db: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """``flashpoint serve`` of the store ``db`` on a free loopback port, once it answers; its
    process and URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "flashpoint", "--db", str(db), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=open(log, "w"),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/api/levers").status_code == 200:
                return server, url
        except httpx.TransportError:
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit(f"the server did not start; see {log}")
            time.sleep(0.2)
