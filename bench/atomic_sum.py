"""Benchmark: one training step (forward, backward, Adam) of the atomic autoencoder with its k atoms drawn at full
resolution and summed (``atoms().sum``, how the model decoded until 2026-12-05) against the blocks summed before the
last upsampling and convolution (``decode``, equal to rounding: tests/test_gpu_paths_on_cpu.py). Both on one device,
same weights and batch, measured in one run; the ratio is the work the sum saves, at each atomic notebook's paper
size (a batch of 8 on a CPU: the paper's 64 takes minutes there) and quick-profile size (its own batch of 64).

What it is not: the training step of a paper run. Its paper rows use a batch of 8 (``--paper-batch``), a paper run
64, so a step of ``train()`` at the paper's settings costs about 8× one of these rows on the same CPU (issue 36's 15×
between this bench and ``train()`` came from that and from the other machine). It times float32 on every device:
no bfloat16 autocast, no channels-last layout and no CUDA graph, which ``AtomicAutoencoder.forward`` and ``train()``
use on a GPU (``bench/gpu.py`` times that path).

Run: PYTHONPATH=lib .venv/bin/python bench/atomic_sum.py [--device cpu|cuda] [--paper-batch 8] [--steps 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from aebook.device import resolve_device
from aebook.models.atomic import AtomicAutoencoder

#: (notebook and profile, image size, k, d0, batch or None for --paper-batch): params/paper.yaml and the notebooks'
#: parameters cells
SETTINGS = [("atomic/01 paper", 128, 3, 3, None), ("atomic/02 paper", 128, 16, 6, None),
            ("atomic/03 paper", 64, 2, 2, None), ("atomic/01 quick", 16, 3, 3, 64), ("atomic/02 quick", 16, 4, 6, 64),
            ("atomic/03 quick", 16, 2, 2, 64)]


def stepper(model: AtomicAutoencoder, decode: Callable[[torch.Tensor], torch.Tensor],
            x: torch.Tensor) -> Callable[[], float]:
    """A function that runs one Adam step on the squared error of ``decode(encode(x))`` and returns its seconds."""
    opt = torch.optim.Adam(model.parameters(), 1e-3)

    def one() -> float:
        if x.is_cuda:
            torch.cuda.synchronize()
        t = time.perf_counter()
        loss = ((decode(model.encode(x)) - x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if x.is_cuda:
            torch.cuda.synchronize()
        return time.perf_counter() - t

    return one


def median_seconds(drawn: Callable[[], float], summed: Callable[[], float], steps: int) -> tuple[float, float]:
    """Median seconds per step of each, the two alternating step by step (so that a machine's drift hits both
    alike), after one warm-up step each."""
    drawn(), summed()
    times = [(drawn(), summed()) for _ in range(steps)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def main() -> None:
    """Print a table: per setting, ms per step with each decoder and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--paper-batch", type=int, default=8,
                    help="images per step at the paper's sizes (its 64 takes minutes on a CPU)")
    ap.add_argument("--steps", type=int, default=7)
    a = ap.parse_args()
    dev = resolve_device(a.device)
    print(f"device: {dev}; torch {torch.__version__}; {torch.get_num_threads()} threads; "
          f"median of {a.steps} steps each, alternating, after one warm-up, float32")
    print("| notebook | size | k | d0 | batch | atoms drawn, then summed ms | summed before the last layers ms | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, size, k, d0, batch in SETTINGS:
        torch.manual_seed(0)
        model = AtomicAutoencoder(size, k=k, d0=d0).to(dev)
        x = torch.rand(batch or a.paper_batch, 1, size, size, device=dev)
        drawn, summed = median_seconds(stepper(model, lambda z: model.atoms(z).sum(dim=1, keepdim=True), x),
                                       stepper(model, model.decode, x), a.steps)
        print(f"| {name} | {size} | {k} | {d0} | {len(x)} | {drawn * 1e3:.1f} | {summed * 1e3:.1f} "
              f"| {drawn / summed:.2f}× |")


if __name__ == "__main__":
    main()
