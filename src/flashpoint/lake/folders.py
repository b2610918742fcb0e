"""The lake's folders and manifests: what is committed is what a manifest names.

::

    LAKE/_manifests/000001.json                      one per committed batch, written last
    LAKE/events/batch=000001/month=2013-01/*.parquet the batch's new events, by month
    LAKE/quarantine/batch=000001/*.parquet           its quarantined rows
    LAKE/clusters/batch=000001/*.parquet             every event's incident, as of the batch
    LAKE/pair_weeks/batch=000001/*.parquet           every pair's weekly counts, as of the batch
    LAKE/_staging/batch=000002/                      a batch being written

A batch's files are written under its number and become part of the lake when its manifest
is renamed into ``_manifests`` (an atomic rename on one file system): a run killed before that
leaves folders no manifest names, which readers never read and the next run removes.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from flashpoint.config import Settings

#: The tables of a batch, each a folder of Parquet files under the lake.
TABLES = ("events", "quarantine", "clusters", "pair_weeks")


def lake_path(settings: Settings, /) -> Path:
    """The lake of ``settings``: ``lake``, or the store file's name with ``.lake`` beside it."""
    return settings.lake if settings.lake is not None else settings.db.with_name(settings.db.stem + ".lake")


@dataclass(frozen=True)
class Manifest:
    """One committed batch.

    Attributes
    ----------
    batch
        Its number, from 1.
    ingests
        The ``ingests`` rows of its files (name → value, as the store's table has them).
    tables
        Each table's folder, relative to the lake, or None when the batch wrote no rows to it.
    """

    batch: int
    ingests: tuple[dict[str, object], ...]
    tables: dict[str, str | None]


class Lake:
    """A lake folder: its committed batches, and the writing of a new one.

    Parameters
    ----------
    root
        The lake's folder (created when the first batch is written).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def manifests(self) -> list[Manifest]:
        """The committed batches, in order."""
        folder = self.root / "_manifests"
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(folder.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            found.append(Manifest(int(data["batch"]), tuple(data["ingests"]), dict(data["tables"])))
        return found

    def folder(self, table: str, batch: int, /) -> Path:
        """Where ``table``'s files of ``batch`` go (``_staging``: the batch's scratch folder)."""
        return self.root / table / f"batch={batch:06d}"

    def event_folders(self) -> list[Path]:
        """Every committed batch's folder of new events (those that stored any)."""
        return [self.root / m.tables["events"] for m in self.manifests() if m.tables.get("events")]

    def current(self, table: str, /) -> Path | None:
        """The latest committed folder of a table each batch rewrites whole (clusters, pair weeks)."""
        manifests = self.manifests()
        latest = manifests[-1].tables.get(table) if manifests else None
        return None if latest is None else self.root / latest

    def clean(self) -> list[Path]:
        """Remove what no manifest names: a killed run's batch and staging folders, and the
        clusters and pair weeks that a later batch replaced. Returns the folders removed."""
        named = {m.tables[t] for m in self.manifests() for t in ("events", "quarantine") if m.tables.get(t)}
        for table in ("clusters", "pair_weeks"):
            if (latest := self.current(table)) is not None:
                named.add(str(latest.relative_to(self.root)))
        removed = []
        for table in (*TABLES, "_staging"):
            for path in sorted((self.root / table).glob("batch=*")):
                if str(path.relative_to(self.root)) not in named:
                    shutil.rmtree(path)
                    removed.append(path)
        return removed

    def next_batch(self) -> int:
        """The number of the batch to write next."""
        manifests = self.manifests()
        return manifests[-1].batch + 1 if manifests else 1

    def staging(self, batch: int, /) -> Path:
        """A new batch's scratch folder (empty)."""
        path = self.folder("_staging", batch)
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def commit(self, manifest: Manifest, /) -> None:
        """Make ``manifest``'s batch part of the lake: its manifest is written beside and renamed
        into place, then its scratch folder removed."""
        folder = self.root / "_manifests"
        folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps(
            {"batch": manifest.batch, "ingests": list(manifest.ingests), "tables": manifest.tables}, indent=1, default=str
        )
        written = folder / f".{manifest.batch:06d}.json.tmp"
        written.write_text(text, encoding="utf-8")
        with written.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(written, folder / f"{manifest.batch:06d}.json")
        shutil.rmtree(self.folder("_staging", manifest.batch), ignore_errors=True)
