"""Benchmark: on a CPU of C cores, is one C-thread process or C one-thread processes side by side the faster way
to train the book's models? It decides how the notebook check runs (``CHECK_WORKERS`` in the Makefile).

For each model family of ``bench/gpu.py`` (at the quick profile's batch of 64) it times the book's loop in one
process with all the cores' threads, then in C processes at once with one thread each, and prints the throughput
ratio: models trained per second side by side / alone. Measured in one run, on the same models and batches.

Run: .venv/bin/python bench/threads.py [--steps 40] [--only disks,ood]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpu import FAMILIES, Family  # noqa: E402  (the same families as the GPU benchmark)

from aebook.train import TrainConfig, train  # noqa: E402

BATCH = 64  # the quick profile's batch size for most chapters


def seconds_per_step(family: Family, steps: int, threads: int) -> float:
    """Seconds per training step of one model in ``aebook.train.train`` with ``threads`` torch threads."""
    os.environ["AEBOOK_TRAIN_THREADS"] = str(threads)
    torch.set_num_threads(threads)
    data = torch.rand(1000, *family.shape, generator=torch.Generator().manual_seed(0))
    train(family.make(), data, TrainConfig(steps=3, batch_size=BATCH), loss_fn=family.loss, device="cpu",
          cache=False, progress=False)
    t0 = time.perf_counter()
    train(family.make(), data, TrainConfig(steps=steps, batch_size=BATCH), loss_fn=family.loss, device="cpu",
          cache=False, progress=False)
    return (time.perf_counter() - t0) / steps


def _worker(args: tuple[int, int, int]) -> float:
    index, steps, threads = args
    return seconds_per_step(FAMILIES[index], steps, threads)


def main() -> None:
    """Print, per family, ms per step alone (all threads) and side by side (one thread each), and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=40, help="timed steps per measurement")
    parser.add_argument("--only", default="", help="comma-separated words; keep the families whose name has one")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    words = [w for w in args.only.split(",") if w]
    chosen = [i for i, f in enumerate(FAMILIES) if not words or any(w in f.name for w in words)]
    print(f"{cores} cores; torch {torch.__version__}; batch {BATCH}; {args.steps} steps")
    print(f"| family | alone, {cores} threads: ms/step | {cores} side by side, 1 thread: ms/step | throughput ratio |")
    print("|---|---:|---:|---:|")
    ctx = mp.get_context("spawn")
    for i in chosen:
        with ctx.Pool(1) as pool:
            alone = pool.map(_worker, [(i, args.steps, cores)])[0]
        with ctx.Pool(cores) as pool:
            side = pool.map(_worker, [(i, args.steps, 1)] * cores)
        per_model = max(side) / cores  # wall time of one step of every process, shared among the models
        print(f"| {FAMILIES[i].name} | {alone * 1e3:.1f} | {max(side) * 1e3:.1f} | {alone / per_model:.2f}× |",
              flush=True)


if __name__ == "__main__":
    main()
