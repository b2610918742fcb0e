"""The README's tour, run as written (one shell, a fresh home folder) on the store the demo builds."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _tour() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- tour -->\n```sh\n(.*?)```\n<!-- /tour -->", text, re.S)
    assert found, "README.md has no tour between <!-- tour --> and <!-- /tour -->"
    return [line for line in found.group(1).splitlines() if line.strip()]


@pytest.mark.slow
def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    lines = _tour()
    assert lines[0] == ". .venv/bin/activate" and lines[1].startswith("flashpoint demo")
    # The tour's first line activates the environment `make` made; here, the one running the tests.
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "activate").write_text(f'export PATH="{Path(sys.executable).parent}:$PATH"\n')
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASHPOINT_", "XDG_"))}
    env.update(HOME=str(home), COLUMNS="160")
    # One shell for the whole tour (the export carries on), each command's output marked.
    script = "set -e\n" + "".join(f"echo '@@@ {i}'\n{line}\n" for i, line in enumerate(lines))
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    parts = re.split(r"^@@@ (\d+)$", done.stdout, flags=re.M)
    printed = {lines[int(parts[i])]: parts[i + 1] for i in range(1, len(parts), 2)}
    for line in lines[1:]:
        if not line.startswith("export"):
            assert printed[line].strip(), f"{line!r} printed nothing"
    shown = {line.split("#")[0].strip(): text for line, text in printed.items()}
    assert "holds no events" not in done.stderr  # every command read the demo store
    assert json.loads(shown["flashpoint stats --json"])["events"] == 105_438
    assert "probability" in shown["flashpoint alerts --level warning"]
    assert "given a probability" in shown["flashpoint alerts raise"]
    assert "KOR" in shown["flashpoint countries --search korea"]
    assert (tmp_path / "paths.svg").read_text().startswith("<svg")
    assert (tmp_path / "brief.pdf").read_bytes().startswith(b"%PDF")
