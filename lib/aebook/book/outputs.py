"""The committed outputs: stamp a freshly executed notebook with what produced it, and seed jupyter-book's execution
cache with the committed notebooks whose stamp still matches, so a fresh clone's ``make book`` renders them at once
instead of re-executing every notebook.

A stamp (notebook metadata ``aebook.produced_by``) holds a hash of the notebook's code cells and the library hash of
:mod:`aebook.book.libhash` (the science part of ``lib/`` and the pins). A notebook is seeded only when both still
match; anything else is left to jupyter-book, which executes it as before.

``python -m aebook.book.outputs stamp NOTEBOOK...`` and ``python -m aebook.book.outputs seed CACHE NOTEBOOK...``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from aebook.book.libhash import libhash
from aebook.paths import repo_root, write_atomic


def code_hash(nb: dict[str, Any]) -> str:
    """SHA-256 (16 hex digits) of the notebook's code cells' sources, in order."""
    h = hashlib.sha256()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            h.update(("".join(src) if isinstance(src, list) else src).encode() + b"\0")
    return h.hexdigest()[:16]


def stamp(path: str | Path, lib: str | None = None) -> dict[str, str]:
    """Record in an executed notebook the code and library hashes its outputs come from; return the stamp."""
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    produced_by = {"code": code_hash(nb), "lib": lib or libhash(repo_root())}
    nb.metadata.setdefault("aebook", {})["produced_by"] = produced_by
    write_atomic(path, nbformat.writes(nb) + "\n")
    return produced_by


def is_current(path: str | Path, lib: str | None = None) -> tuple[bool, str]:
    """Whether a committed notebook's outputs come from its present code and library, and why not if they don't."""
    nb = json.loads(Path(path).read_text())
    produced_by = nb.get("metadata", {}).get("aebook", {}).get("produced_by")
    if not produced_by:
        return False, "no stamp (executed outside `make outputs`)"
    if produced_by.get("code") != code_hash(nb):
        return False, "its code cells changed since its outputs were made"
    if produced_by.get("lib") != (lib or libhash(repo_root())):
        return False, "lib/ or the pinned requirements changed since its outputs were made"
    return True, "current"


def seed(cache_path: str | Path, notebooks: list[str | Path]) -> dict[str, str]:
    """Add each current committed notebook to the jupyter-cache at ``cache_path`` (unless a match is there already);
    return what happened to each notebook."""
    import nbformat
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_path))
    lib = libhash(repo_root())
    report = {}
    for path in map(Path, notebooks):
        ok, why = is_current(path, lib)
        if not ok:
            report[str(path)] = f"left to execute: {why}"
            continue
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
            report[str(path)] = "already in the cache"
        except KeyError:
            cache.cache_notebook_file(str(path), check_validity=False, overwrite=True)
            report[str(path)] = "seeded from the committed outputs"
    return report


def execute_in_place(path: str | Path, timeout: int = 1800) -> dict[str, str]:
    """Execute a notebook from the top in its folder (nbclient, reading its channels in slices: a missed wake-up
    costs a second, not the cell's timeout), write it back atomically, and stamp it."""
    import nbformat

    from aebook.book.nbcheck import execute_notebook
    from aebook.paths import write_atomic

    executed = execute_notebook(Path(path), timeout)
    write_atomic(Path(path), nbformat.writes(nbformat.from_dict(executed)) + "\n")
    return stamp(path)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``execute NOTEBOOK...``, ``stamp NOTEBOOK...`` or ``seed CACHE NOTEBOOK...``."""
    parser = argparse.ArgumentParser(prog="python -m aebook.book.outputs", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("stamp", help="record what produced an executed notebook").add_argument("notebooks", nargs="+")
    sub.add_parser("execute", help="execute notebooks in place and stamp them").add_argument("notebooks", nargs="+")
    p = sub.add_parser("seed", help="seed jupyter-book's execution cache with current committed notebooks")
    p.add_argument("cache")
    p.add_argument("notebooks", nargs="+")
    args = parser.parse_args(argv)
    missing = [n for n in args.notebooks if not Path(n).is_file()]
    if missing:
        print(f"error: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.command == "execute":
        for nb in args.notebooks:
            print(f"{nb}: executed, stamped {execute_in_place(nb)}", flush=True)
        return 0
    if args.command == "stamp":
        for nb in args.notebooks:
            print(f"{nb}: stamped {stamp(nb)}")
        return 0
    report = seed(args.cache, args.notebooks)
    seeded = sum(v.startswith("seeded") or v.startswith("already") for v in report.values())
    for nb, what in report.items():
        if not (what.startswith("seeded") or what.startswith("already")):
            print(f"{nb}: {what}")
    print(f"execution cache: {seeded} of {len(report)} notebooks rendered from their committed outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
