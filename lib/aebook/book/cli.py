"""The command line behind ``python -m aebook run PATH... [--sweep NAME=V1,V2] [--executor local|local:N|dask]
[--time-budget SECONDS]`` and
``python -m aebook cache pack|unpack FILE``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from aebook.device import VALID_DEVICES
from aebook.book.execute import INTERRUPTED, NOT_STARTED
from aebook.book.executors import parse_executor
from aebook.book.parameters import ParameterError
from aebook.book.runner import PROFILES, parse_assignments, run, summary_table
from aebook.book.sweep import parse_sweeps


def _echo(record: dict[str, Any]) -> None:
    """One line per set as it ends (or is found finished), so a long sweep shows its progress."""
    claims = record.get("claims") or {}
    verdicts = ", ".join(f"{n} {v}" for v, n in claims.items()) or "no claims"
    status = "done" if record.get("skipped") else record["status"]
    where = f"{record['notebook']}" + (f" [{record['set']}]" if record.get("set") else "")
    print(f"{status:6} {record['seconds']:8.1f}s  {where}  ({verdicts})", flush=True)
    if record.get("error"):
        print(f"       {record['error'].splitlines()[0]}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the sets, print a line per set and the summary table; exit 1 if any failed."""
    parser = argparse.ArgumentParser(prog="python -m aebook", description="Run the book's notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="execute notebooks (or whole chapter folders) with papermill")
    p.add_argument("paths", nargs="+", help="notebooks or chapter folders, e.g. chapters/disks")
    p.add_argument("--profile", choices=PROFILES, default="quick", help="params/<profile>.yaml to use")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    p.add_argument("--sweep", action="append", default=[], metavar="NAME=V1,V2",
                   help="run every value (repeatable: the grid of all combinations); ranges: NAME=2..20 or 0..20..5")
    p.add_argument("--device", choices=VALID_DEVICES, default="auto", help="where to train (default: auto)")
    p.add_argument("--out", default=None, help="output folder (default: runs/<profile>)")
    p.add_argument("--executor", default="local",
                   help="local (one after another, default), local:N (N at a time here) or dask")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--retries", type=int, default=2, help="Dask: times a set that raised is tried again (default 2)")
    p.add_argument("--force", action="store_true", help="rerun sets that already finished with the same parameters")
    p.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                   help="stop cleanly before this many seconds (training checkpoints); the same command again "
                        "carries on; exit status 3 when sets are left")
    c = sub.add_parser("cache", help="pack the weight cache into pieces of at most 16 MB, or unpack such a pack",
                       add_help=False)
    c.add_argument("rest", nargs=argparse.REMAINDER, help="pack FILE [--piece-mb N] | unpack FILE [--cache DIR]")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["cache"]:  # its own parser, so that `cache -h` prints the cache's help
        from aebook.book.cache_archive import main as cache_main

        return cache_main(argv[1:])
    args = parser.parse_args(argv)
    try:
        overrides = parse_assignments(args.param)
        records = run(args.paths, args.profile, overrides, args.device, args.out,
                      sweeps=parse_sweeps(args.sweep, overrides),
                      executor=parse_executor(args.executor, args.scheduler, args.retries),
                      force=args.force, echo=_echo, time_budget=args.time_budget)
    except (ParameterError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print()
    print(summary_table(records))
    if any(r["status"] == "failed" for r in records):
        return 1
    left = [r for r in records if r["status"] in (INTERRUPTED, NOT_STARTED)]
    if left:
        print(f"\ntime budget reached: {len(records) - len(left)} of {len(records)} sets finished; run the same "
              "command again to carry on (finished sets are kept, training resumes from its checkpoints)")
        return 3
    return 0

