"""Benchmark for ``python -m aebook run --sweep``: one sweep's wall time on each executor, measured in one run.

The same sweep (a chapter notebook over a few seeds, each set training its own models from an empty weight cache)
runs with ``local`` (one set after another, torch using every core), ``local:N`` (N sets at a time, cores shared
out) and ``dask`` on a ``LocalCluster`` of N single-threaded workers (its start-up timed apart). Each executor
gets its own empty weight cache and output folder; the claims' measured figures are compared across executors.

Run: .venv/bin/python bench/sweep.py [--notebook chapters/disks/01-encoding-disks.ipynb] [--sweep seed=0..3]
     [--param train_steps=300] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from aebook.book.executors import Executor, parse_executor
from aebook.book.runner import parse_assignments, run
from aebook.book.sweep import parse_sweeps


def measured(out: Path) -> dict[str, list]:
    """Every set's claims, measured figures only: what must not depend on the executor."""
    found = {}
    for path in sorted(out.rglob("*.claims.json")):
        found[str(path.relative_to(out))] = [c["measured"] for c in json.loads(path.read_text())["claims"]]
    return found


def relative_difference(a: dict[str, list], b: dict[str, list]) -> float:
    """The largest |x - y| / max(|x|, |y|) over the numeric figures two sweeps measured."""
    worst = 0.0
    for key, claims in a.items():
        for ca, cb in zip(claims, b[key], strict=True):
            for name, x in ca.items():
                y = cb[name]
                if isinstance(x, (int, float)) and isinstance(y, (int, float)) and x != y:
                    worst = max(worst, abs(x - y) / max(abs(x), abs(y)))
    return worst


def main() -> None:
    """Time the sweep on local, local:N and dask (N workers), print seconds and ratios to local."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", default="chapters/disks/01-encoding-disks.ipynb")
    parser.add_argument("--sweep", action="append", default=None)
    parser.add_argument("--param", action="append", default=None)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    overrides = parse_assignments(args.param or ["train_steps=300"])
    sweeps = parse_sweeps(args.sweep or ["seed=0..3"], overrides)
    scratch = Path(tempfile.mkdtemp(prefix="aebook-bench-sweep-"))
    seconds, results = {}, {}
    n = args.workers

    def timed(label: str, executor: Executor) -> None:
        out = scratch / label.replace(":", "-")
        t0 = time.perf_counter()
        records = run([args.notebook], "quick", overrides, "cpu", out, sweeps=sweeps, executor=executor)
        seconds[label] = time.perf_counter() - t0
        assert all(r["status"] == "ok" for r in records), [r["error"] for r in records]
        results[label] = measured(out)

    for label, executor in (("local", Executor("local")), (f"local:{n}", Executor("local", processes=n))):
        os.environ["AEBOOK_CACHE_DIR"] = str(scratch / f"cache-{label.replace(':', '-')}")
        timed(label, executor)

    from distributed import LocalCluster

    t0 = time.perf_counter()
    env = {"AEBOOK_CACHE_DIR": str(scratch / "cache-dask"), "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // n))}
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None, env=env) as cluster:
        startup = time.perf_counter() - t0
        timed(f"dask ({n} workers)", parse_executor("dask", cluster.scheduler_address))

    sets = len(next(iter(results.values())))
    print(f"{args.notebook}, {sets} sets, {os.cpu_count()} cores; Dask cluster start-up {startup:.1f} s (not counted)")
    for label, s in seconds.items():
        print(f"  {label:18} {s:7.1f} s   {seconds['local'] / s:4.2f}x local")
    labels = list(results)
    print(f"  claims' measured figures identical, {labels[1]} vs {labels[2]} (same threads per set): "
          f"{results[labels[1]] == results[labels[2]]}")
    print(f"  largest relative difference from local (whose torch uses {os.cpu_count()} threads per set): "
          f"{max(relative_difference(results['local'], r) for r in results.values()):.1e}")


if __name__ == "__main__":
    main()
