"""Benchmark: one training step (forward, backward, Adam) of the atomic autoencoder with its k atoms drawn at full
resolution and summed (``atoms().sum``, what the CPU runs) against the blocks summed before the last upsampling and
convolution (``decode_summed``, what a GPU runs; equal to rounding, tests/test_atomic.py). Both on one device, same
weights and batch, measured in one run; the ratio is the work the sum saves at atomic/01's (k = 3) and atomic/02's
(k = 16) paper sizes.

Run: PYTHONPATH=lib .venv/bin/python bench/atomic_sum.py [--device cpu|cuda] [--batch 8] [--steps 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from aebook.device import resolve_device
from aebook.models.atomic import AtomicAutoencoder

#: (notebook, image size, k, d0) at the paper profile (params/paper.yaml and the notebooks of the atomic chapter)
SETTINGS = [("atomic/01", 128, 3, 3), ("atomic/02", 128, 16, 6), ("atomic/03", 64, 2, 2)]


def step_seconds(model: AtomicAutoencoder, decode: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                 steps: int) -> float:
    """Mean seconds of one Adam step on the squared error of ``decode(encode(x))``, after one warm-up step."""
    opt = torch.optim.Adam(model.parameters(), 1e-3)

    def one() -> None:
        loss = ((decode(model.encode(x)) - x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    one()
    if x.is_cuda:
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps):
        one()
    if x.is_cuda:
        torch.cuda.synchronize()
    return (time.perf_counter() - t) / steps


def main() -> None:
    """Print a table: per setting, ms per step with each decoder and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch", type=int, default=8, help="images per step (the paper's 64 takes minutes on a CPU)")
    ap.add_argument("--steps", type=int, default=3)
    a = ap.parse_args()
    dev = resolve_device(a.device)
    print(f"device: {dev}; torch {torch.__version__}; {torch.get_num_threads()} threads; batch {a.batch}; "
          f"{a.steps} timed steps after one warm-up, float32")
    print("| notebook | size | k | d0 | atoms drawn, then summed ms | summed before the last layers ms | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, size, k, d0 in SETTINGS:
        torch.manual_seed(0)
        model = AtomicAutoencoder(size, k=k, d0=d0).to(dev)
        x = torch.rand(a.batch, 1, size, size, device=dev)
        drawn = step_seconds(model, lambda z: model.atoms(z).sum(dim=1, keepdim=True), x, a.steps)
        summed = step_seconds(model, model.decode_summed, x, a.steps)
        print(f"| {name} | {size} | {k} | {d0} | {drawn * 1e3:.0f} | {summed * 1e3:.0f} | {drawn / summed:.2f}× |")


if __name__ == "__main__":
    main()
