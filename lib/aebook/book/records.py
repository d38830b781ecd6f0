"""Reading what an executed notebook records: its claims tables (in its outputs' metadata), and the training runs
the last table lists. One reader for the check, the scoreboard, the calibration records and the prose."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml


def tables_of(nb: dict[str, Any]) -> list[dict[str, Any]]:
    """The claims tables a notebook (as a dict) shows, in order, as recorded in its outputs' metadata."""
    return [out["metadata"]["aebook"]["claims"] for cell in nb.get("cells", []) for out in cell.get("outputs", [])
            if out.get("metadata", {}).get("aebook", {}).get("claims")]


def notebook_claims(path: str | Path) -> list[dict[str, Any]]:
    """The claims tables shown by the notebook at ``path`` (empty if none)."""
    return tables_of(json.loads(Path(path).read_text()))


def training_of(tables: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The training runs the tables record (:mod:`aebook.recipes`): the last table's that has them, which lists
    every run before it; None when none does (a record older than the training record)."""
    found = None
    for table in tables:
        found = table.get("training", found)
    return found


def toc_chapters(root: str | Path) -> Iterator[tuple[str, list[str]]]:
    """(chapter index file, its section files) for every chapter under ``chapters/`` in ``_toc.yml``."""
    toc = yaml.safe_load((Path(root) / "_toc.yml").read_text())
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            if chapter["file"].startswith("chapters/"):
                yield chapter["file"], [s["file"] for s in chapter.get("sections", [])]


def write_if_changed(text: str, target: str | Path) -> Path:
    """Write ``text`` to ``target`` unless the file already holds exactly that; the path either way."""
    target = Path(target)
    if not target.exists() or target.read_text() != text:  # unchanged files keep Sphinx from rebuilding pages
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return target
