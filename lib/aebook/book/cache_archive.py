"""Move the weight cache between machines in pieces: ``python -m aebook cache pack FILE`` / ``unpack FILE``.

``pack`` writes every finished run (``<key>.pt``) and checkpoint (``<key>.ckpt``, ``stacked-<group>.ckpt``) of the cache as one tar stream cut
into pieces ``FILE.000``, ``FILE.001``, ... of at most ``piece_bytes`` (16 MB by default, what a GPU machine lent for
ten minutes can hand back), and ``FILE`` itself, a JSON manifest with each piece's and each file's size and SHA-256.
``unpack`` checks every piece, then writes each file into the cache through a temporary name: a finished run is
added when absent (a local one is kept), a checkpoint when no finished run of that key exists and it is further
along than the local checkpoint. A training started after ``unpack`` resumes where the packed checkpoint stopped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aebook.paths import cache_dir, write_atomic

PIECE_BYTES = 16 * 1000 * 1000
_NAME = re.compile(r"^(stacked-)?[0-9a-f]{16}\.(pt|ckpt)$")  # a run, or a checkpoint of one or of a stacked group


class ArchiveError(ValueError):
    """A pack or unpack that cannot go on: a missing or damaged piece, an unsafe name, a bad size."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cache_files(folder: Path) -> list[Path]:
    """The finished runs and checkpoints in a weight cache folder, in name order."""
    return sorted(p for p in folder.glob("*") if p.is_file() and _NAME.match(p.name))


class _PieceWriter(io.RawIOBase):
    """A write-only stream that cuts what it is given into files ``<base>.000``, ``.001``, ... of at most n bytes."""

    def __init__(self, base: Path, piece_bytes: int) -> None:
        self.base, self.limit = base, piece_bytes
        self.pieces: list[dict[str, Any]] = []
        self._buf = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buf.extend(data)
        while len(self._buf) >= self.limit:
            self._flush_piece(bytes(self._buf[: self.limit]))
            del self._buf[: self.limit]
        return len(data)

    def _flush_piece(self, data: bytes) -> None:
        path = self.base.with_name(f"{self.base.name}.{len(self.pieces):03d}")
        write_atomic(path, data)
        self.pieces.append({"name": path.name, "bytes": len(data), "sha256": _sha256(data)})

    def finish(self) -> list[dict[str, Any]]:
        if self._buf or not self.pieces:
            self._flush_piece(bytes(self._buf))
            self._buf.clear()
        return self.pieces


def pack(target: str | Path, folder: str | Path | None = None, piece_bytes: int = PIECE_BYTES,
         checkpoints_only: bool = False) -> dict[str, Any]:
    """Write the cache in ``folder`` (default: the book's weight cache) as pieces beside ``target`` and a manifest
    at ``target``; return the manifest. ``checkpoints_only`` leaves finished runs out (what a GPU call carries back
    is what it could not finish)."""
    if piece_bytes < 1024:
        raise ArchiveError(f"pieces must hold at least 1024 bytes, got {piece_bytes}")
    folder = Path(folder) if folder is not None else cache_dir()
    if not folder.is_dir():
        raise ArchiveError(f"no weight cache at {folder}: nothing to pack")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in target.parent.glob(f"{target.name}.[0-9][0-9][0-9]"):
        old.unlink()  # pieces of an earlier pack of the same name would confuse a reader
    writer = _PieceWriter(target, piece_bytes)
    files = []
    with tarfile.open(fileobj=writer, mode="w|") as tar:
        for path in cache_files(folder):
            if checkpoints_only and path.suffix != ".ckpt":
                continue
            data = path.read_bytes()
            info = tarfile.TarInfo(path.name)
            info.size, info.mtime = len(data), int(path.stat().st_mtime)
            tar.addfile(info, io.BytesIO(data))
            files.append({"name": path.name, "bytes": len(data), "sha256": _sha256(data)})
    manifest = {"format": "aebook-weight-cache-1", "created": dt.datetime.now(dt.timezone.utc).isoformat(
        timespec="seconds"), "source": str(folder), "files": files, "pieces": writer.finish()}
    write_atomic(target, json.dumps(manifest, indent=1) + "\n")
    return manifest


def _pieces(target: Path, manifest: dict[str, Any]) -> Iterator[bytes]:
    for piece in manifest["pieces"]:
        path = target.with_name(piece["name"])
        if not path.is_file():
            raise ArchiveError(f"piece {piece['name']} is missing (expected beside {target})")
        data = path.read_bytes()
        if len(data) != piece["bytes"] or _sha256(data) != piece["sha256"]:
            raise ArchiveError(f"piece {piece['name']} is damaged: its size or SHA-256 differs from the manifest")
        yield data


def _step(data: bytes) -> int:
    import torch

    return int(torch.load(io.BytesIO(data), map_location="cpu", weights_only=True).get("step", -1))


def unpack(target: str | Path, folder: str | Path | None = None) -> dict[str, str]:
    """Check the pieces of the pack at ``target`` and add its runs and checkpoints to the cache in ``folder``;
    return, per file, what was done with it."""
    target = Path(target)
    if not target.is_file():
        raise ArchiveError(f"no pack manifest at {target}")
    try:
        manifest = json.loads(target.read_text())
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"{target} is not a pack manifest: {exc}") from exc
    if manifest.get("format") != "aebook-weight-cache-1":
        raise ArchiveError(f"{target} is not a pack manifest of the weight cache")
    stream = io.BytesIO(b"".join(_pieces(target, manifest)))  # every piece checked before anything is written
    expected = {f["name"]: f for f in manifest["files"]}
    folder = Path(folder) if folder is not None else cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    report: dict[str, str] = {}
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            if not (member.isfile() and _NAME.match(member.name) and member.name in expected):
                raise ArchiveError(f"unexpected entry {member.name!r} in the pack")
            data = tar.extractfile(member).read()
            if _sha256(data) != expected[member.name]["sha256"]:
                raise ArchiveError(f"{member.name} differs from its SHA-256 in the manifest")
            report[member.name] = _place(folder, member.name, data)
    return report


def _place(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    key, kind = name.split(".")
    if kind == "pt":
        if path.exists():
            return "kept the local finished run"
        write_atomic(path, data)
        (folder / f"{key}.ckpt").unlink(missing_ok=True)
        return "added"
    if (folder / f"{key}.pt").exists():
        return "skipped: the run is finished here"
    if path.exists() and _step(path.read_bytes()) >= _step(data):
        return "kept the local checkpoint (as far or further along)"
    write_atomic(path, data)
    return "added"


def main(argv: list[str]) -> int:
    """``pack FILE [--piece-mb N]`` or ``unpack FILE``, on the cache in ``$AEBOOK_CACHE_DIR`` (or ``--cache DIR``)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m aebook cache", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("pack", "unpack"))
    parser.add_argument("file", help="the manifest; pieces are FILE.000, FILE.001, ... beside it")
    parser.add_argument("--cache", default=None, help="the weight cache folder (default: $AEBOOK_CACHE_DIR or "
                                                      ".aebook-cache)")
    parser.add_argument("--piece-mb", type=float, default=PIECE_BYTES / 1e6, help="largest piece in MB (default 16)")
    parser.add_argument("--checkpoints-only", action="store_true", help="pack: leave finished runs out")
    args = parser.parse_args(argv)
    try:
        if args.action == "pack":
            m = pack(args.file, args.cache, int(args.piece_mb * 1e6), args.checkpoints_only)
            total = sum(p["bytes"] for p in m["pieces"])
            print(f"packed {len(m['files'])} files ({total / 1e6:.1f} MB) into {len(m['pieces'])} piece(s) "
                  f"beside {args.file}")
        else:
            report = unpack(args.file, args.cache)
            added = sum(v == "added" for v in report.values())
            print(f"unpacked {args.file}: {added} of {len(report)} files added to "
                  f"{args.cache or cache_dir()}")
            for name, what in report.items():
                if what != "added":
                    print(f"  {name}: {what}")
    except (ArchiveError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
