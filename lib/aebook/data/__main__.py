"""``python -m aebook.data fetch mnist``: fetch and verify the book's datasets."""

from __future__ import annotations

import argparse
import sys

from aebook.data.mnist import DataError, fetch_mnist

FETCHERS = {"mnist": fetch_mnist}


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and fetch the named datasets."""
    parser = argparse.ArgumentParser(prog="python -m aebook.data", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    fetch = sub.add_parser("fetch", help="fetch and verify datasets")
    fetch.add_argument("names", nargs="+", choices=[*FETCHERS, "all"], help="datasets to fetch")
    fetch.add_argument("--root", default=None, help="folder to store them in (default: the book's data/)")
    args = parser.parse_args(argv)
    names = list(FETCHERS) if "all" in args.names else args.names
    try:
        for name in names:
            FETCHERS[name](None if args.root is None else f"{args.root}/{name}")
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
