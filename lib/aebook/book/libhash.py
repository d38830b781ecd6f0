"""Print a short hash of what changes a notebook's results without changing its code cells: the science part of
``lib/aebook`` (everything but ``lib/aebook/book/``), ``pyproject.toml`` and ``requirements.txt``.

``make book`` keys jupyter-book's execution cache on it, and the committed notebooks record it (``make outputs``), so
a fresh clone can reuse their outputs while the hash still matches. Standard library only: it runs before the venv.
"""

import hashlib
import sys
from pathlib import Path


def science_files(root: Path) -> list[Path]:
    """The files whose content enters the hash, in a fixed order."""
    lib = sorted(p for p in (root / "lib").rglob("*.py")
                 if "book" not in p.relative_to(root / "lib" / "aebook").parts[:1] and "__pycache__" not in p.parts)
    return [root / "requirements.txt", root / "pyproject.toml", *lib]


def libhash(root: Path) -> str:
    """SHA-256 (first 16 hex digits) over the files' paths and contents."""
    h = hashlib.sha256()
    for path in science_files(root):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


if __name__ == "__main__":
    print(libhash(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[3]))
