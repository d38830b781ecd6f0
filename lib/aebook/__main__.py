"""``python -m aebook run PATH... --profile quick|paper``: execute chapter notebooks with papermill."""

from __future__ import annotations

import argparse
import sys

from aebook.device import VALID_DEVICES
from aebook.parameters import ParameterError
from aebook.runner import PROFILES, parse_assignments, run


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the notebooks, print one line per notebook; exit 1 if any failed."""
    parser = argparse.ArgumentParser(prog="python -m aebook", description="Run the book's notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="execute notebooks (or whole chapter folders) with papermill")
    p.add_argument("paths", nargs="+", help="notebooks or chapter folders, e.g. chapters/disks")
    p.add_argument("--profile", choices=PROFILES, default="quick", help="params/<profile>.yaml to use")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    p.add_argument("--device", choices=VALID_DEVICES, default="auto", help="where to train (default: auto)")
    p.add_argument("--out", default=None, help="output folder (default: runs/<profile>)")
    args = parser.parse_args(argv)
    try:
        records = run(args.paths, args.profile, parse_assignments(args.param), args.device, args.out)
    except (ParameterError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for r in records:
        claims = r["claims"] or {}
        verdicts = ", ".join(f"{n} {v}" for v, n in claims.items()) or "no claims"
        print(f"{r['status']:6} {r['seconds']:8.1f}s  {r['executed']}  ({verdicts})")
        if r["error"]:
            print(f"       {r['error'].splitlines()[0]}", file=sys.stderr)
    return 0 if all(r["status"] == "ok" for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
