"""Where the book keeps data, cached weights and runs (each overridable by an environment variable)."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """Return the book's checkout (the folder holding ``pyproject.toml`` above ``lib/aebook``)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "lib" / "aebook").is_dir():
            return parent
    return Path.cwd()


def data_dir() -> Path:
    """Return the folder for downloaded datasets (``$AEBOOK_DATA_DIR`` or ``<repo>/data``)."""
    from aebook import settings

    return settings.data_dir(repo_root() / "data")


def cache_dir() -> Path:
    """Return the folder for cached trained weights (``$AEBOOK_CACHE_DIR`` or ``<repo>/.aebook-cache``)."""
    from aebook import settings

    return settings.cache_dir(repo_root() / ".aebook-cache")


def write_atomic(path: Path, content: bytes | str) -> None:
    """Write a file through a temporary neighbour and a rename, so a reader never sees it half written."""
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(content, str):
        tmp.write_text(content, encoding="utf-8")
    else:
        tmp.write_bytes(content)
    os.replace(tmp, path)
