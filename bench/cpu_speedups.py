"""Benchmark: what makes the four slow paper runs faster on a CPU without changing the model (issue 36, item 2).

One training step (forward, backward, Adam) of each slow family at its paper-profile image size, in four forms on
the same weights and batch, measured in one run: float32 as the book trains (the reference), float32 with the
activations and convolution weights channels-last, bfloat16 autocast (the convolutions and matrix products in
bfloat16, the loss and Adam in float32), and both. Variants alternate step by step, after one warm-up step each,
so that a machine's drift hits all alike; the table gives the median.

Each family runs at its paper batch (``--batch N`` sets a smaller one for a quick look; the projected hours then
assume a cost linear in the batch, which overstates small models, whose small batches are mostly overhead). The
hours are training only, at one step's median cost. What it is not: evidence that the bfloat16 figures equal
float32's. Before a paper run used bfloat16, a quick run of the
notebook would have to give the same verdicts in both (issue 36).

Run: PYTHONPATH=lib .venv/bin/python bench/cpu_speedups.py [--batch N] [--steps 5]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from aebook.models.atomic import AtomicAutoencoder
from aebook.models.dcgan import DCGANAutoencoder
from aebook.models.disk_ae import DiskAutoencoder

#: (family, the notebooks it is the cost of, a builder, image size, paper batch, paper steps × models trained)
FAMILIES: list[tuple[str, str, Callable[[], nn.Module], int, int, int]] = [
    ("disks autoencoder 64²", "disks/04 (39 models)", lambda: DiskAutoencoder(), 64, 300, 20_000 * 39),
    ("DCGAN 64² width 64", "disks/05 (2 models)", lambda: DCGANAutoencoder(64, code_dim=100, width=64), 64, 300,
     20_000 * 2),
    ("atomic 128² k=3", "atomic/01 (atomic + plain)", lambda: AtomicAutoencoder(128, k=3, d0=3), 128, 64, 50_000 * 2),
    ("atomic 128² k=16", "atomic/02 (1 model)", lambda: AtomicAutoencoder(128, k=16, d0=6), 128, 64, 50_000),
]
VARIANTS = ("float32", "float32 channels-last", "bfloat16 autocast", "bfloat16 autocast, channels-last")


def stepper(build: Callable[[], nn.Module], size: int, batch: int, variant: str) -> Callable[[], float]:
    """One Adam step on the squared reconstruction error in ``variant``; returns its seconds."""
    torch.manual_seed(0)
    model = build()
    x = torch.rand(batch, 1, size, size)
    last = "channels-last" in variant
    if last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), 1e-3, fused=True)
    cast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if "bfloat16" in variant else contextlib.nullcontext

    def one() -> float:
        t = time.perf_counter()
        with cast():
            out = model(x)
        loss = ((out.float() - x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return time.perf_counter() - t

    return one


def main() -> None:
    """Print, per family, ms per step in each variant, the ratio to float32 and the projected paper-run hours."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=None, help="images per step (default: each family's paper batch)")
    ap.add_argument("--steps", type=int, default=5)
    a = ap.parse_args()
    print(f"torch {torch.__version__}; {torch.get_num_threads()} threads; CPU capability "
          f"{torch.backends.cpu.get_cpu_capability()}; batch {a.batch or 'of the paper'}; median of {a.steps} steps, "
          "alternating, after one warm-up")
    print("| family | paper run | " + " | ".join(f"{v} ms" for v in VARIANTS) + " | float32 / best | "
          "paper-run hours, float32 → best |")
    print("|---|---|" + "---:|" * (len(VARIANTS) + 2))
    for family, notebooks, build, size, paper_batch, steps in FAMILIES:
        batch = a.batch or paper_batch
        steppers = [stepper(build, size, batch, v) for v in VARIANTS]
        for s in steppers:
            s()
        times = [[s() for s in steppers] for _ in range(a.steps)]
        ms = [1000 * statistics.median(t[i] for t in times) for i in range(len(VARIANTS))]
        best = min(ms)
        hours = [m / 1000 * paper_batch / batch * steps / 3600 for m in (ms[0], best)]
        print(f"| {family} | {notebooks} | " + " | ".join(f"{m:.1f}" for m in ms)
              + f" | {ms[0] / best:.2f}× ({VARIANTS[ms.index(best)]}) | {hours[0]:.0f} → {hours[1]:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
