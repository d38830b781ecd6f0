"""Benchmark: training steps per second for each model family of the book, the book's loop (``aebook.train.train``)
against stacked training (``aebook.stacked.train_stacked``, M members in one vectorised step), with the GPU's SM use
where ``nvidia-smi`` is present. Ratios are measured in one run, on the same device, models and batch sizes.
Then the two grids the book trains stacked, at the quick profile's sizes: disks/04's regularised networks (one per
type and λ) and one activation's group of conservative/02's Table 1 models, each member alone against the group.

Run: .venv/bin/python bench/gpu.py [--device cpu|cuda|auto] [--steps 30] [--members 8] [--only disks,ood,grids]
Random inputs of the right shapes stand in for the data: a step's cost does not depend on the pixels.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable

import torch

from aebook.device import resolve_device
from aebook.models.atomic import AtomicAutoencoder
from aebook.models.disk_ae import DiskAutoencoder
from aebook.models.mlp import MLPAutoencoder
from aebook.models.vae import VAE, negative_elbo
from aebook.stacked import train_stacked
from aebook.train import TrainConfig, reconstruction_mse, train
from aebook.training.families import Family


FAMILIES = [
    Family("disks autoencoder 64²", lambda: DiskAutoencoder(64), (64, 64), 300),
    Family("ood family member 784-128-64-32-20", lambda: MLPAutoencoder(784, (128, 64, 32, 20), "relu"), (784,), 100),
    Family("conservative MLP 784-500-784", lambda: MLPAutoencoder(784, (500,), "sigmoid"), (784,), 100),
    Family("spatial-vae VAE z=8", lambda: VAE(8), (1, 28, 28), 100, negative_elbo, randomness="different"),
    Family("atomic 32², k=3", lambda: AtomicAutoencoder(32, k=3), (1, 32, 32), 64),
]


class SMSampler:
    """Samples the GPU's utilisation (``nvidia-smi``) every 0.2 s while running; mean of the samples."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.running = False
        self.thread: threading.Thread | None = None

    def __enter__(self) -> SMSampler:
        if shutil.which("nvidia-smi"):
            self.running = True
            self.thread = threading.Thread(target=self._loop, daemon=True)
            self.thread.start()
        return self

    def _loop(self) -> None:
        while self.running:
            out = subprocess.run(["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True)
            if out.returncode == 0 and out.stdout.strip():
                self.samples.append(float(out.stdout.split()[0]))
            time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        self.running = False
        if self.thread:
            self.thread.join()

    def mean(self) -> str:
        """Mean SM use in percent, or '-' without nvidia-smi."""
        return f"{sum(self.samples) / len(self.samples):.0f} %" if self.samples else "-"


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize()


@contextlib.contextmanager
def _env(name: str, value: str):
    """The environment variable ``name`` set to ``value`` inside the block, as it was afterwards."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


def _graph(on: bool):
    """Let ``train``/``train_stacked`` capture their step as a CUDA graph (``on``; strictly: a failed capture raises,
    and the family's row says so, instead of timing eager steps as a graph's) or keep it eager
    (``$AEBOOK_CUDA_GRAPH=0``) inside the block."""
    return _env("AEBOOK_CUDA_GRAPH", "strict" if on else "0")


def _per_step(run: Callable[[int], float], steps: int, dev: torch.device) -> tuple[float, str]:
    """Seconds per step of ``run(n)`` (which trains ``n`` steps and returns its seconds), and the SM use meanwhile.
    A run of ``steps`` and one of ``2 × steps`` are timed and the difference divided by ``steps``: what a run costs
    once (the graph's capture, planning batch rows, the first kernels' set-up) drops out."""
    run(3)  # warm-up
    with SMSampler() as sm:
        short, long = run(steps), run(2 * steps)
    return max(long - short, 1e-9) / steps, sm.mean()


def time_loop(family: Family, data: torch.Tensor, steps: int, dev: torch.device,
              graph: bool = False) -> tuple[float, str]:
    """Seconds per step of the book's loop on one model, and the SM use meanwhile. The loop runs its step as a
    CUDA graph where ``train`` allows it (``graph=True``) or eagerly."""
    def run(n: int) -> float:
        _sync(dev)
        t0 = time.perf_counter()
        train(family.make(), data, TrainConfig(steps=n, batch_size=family.batch), loss_fn=family.loss or reconstruction_mse,
              device=str(dev), cache=False, progress=False)
        _sync(dev)
        return time.perf_counter() - t0

    with _graph(graph):
        return _per_step(run, steps, dev)


def time_stacked(family: Family, data: torch.Tensor, steps: int, members: int, dev: torch.device,
                 graph: bool = False) -> tuple[float, str]:
    """Seconds per step and per member of stacked training with ``members`` seeds, and the SM use meanwhile; the
    step as a CUDA graph where ``train_stacked`` allows it (``graph=True``) or eagerly."""
    def run(n: int) -> float:
        configs = [TrainConfig(steps=n, batch_size=family.batch, seed=s) for s in range(members)]
        _sync(dev)
        t0 = time.perf_counter()
        train_stacked(family.make, data, configs, loss=family.loss or reconstruction_mse, device=str(dev), cache=False,
                      randomness=family.randomness)
        _sync(dev)
        return time.perf_counter() - t0

    with _graph(graph):
        per_step, sm = _per_step(run, steps, dev)
    return per_step / members, sm


def time_grids(steps: int, dev: torch.device) -> list[tuple[str, int, float, float]]:
    """Seconds per step and per member of the book's two stacked grids, each member alone and the group at once."""
    import numpy as np

    from aebook.data.disks import disk_images
    from aebook.experiments import conservative as cv
    from aebook.experiments.disks import regularised_grid, train_on_radii
    from aebook.regularisers import code_amplitude, locality, weight_l2

    rows = []
    probe = torch.from_numpy(disk_images(np.linspace(2, 32, 16), 64))
    settings = [("none", 0.0), ("type 1", 1e-9), ("type 1", 1e-8), ("type 2", 1e-4), ("type 2", 1e-3),
                ("type 3", 1e-4), ("type 3", 1e-3)]
    penalty = {"none": lambda lam: [], "type 1": lambda lam: [locality(lam)], "type 2": lambda lam: [weight_l2(lam)],
               "type 3": lambda lam: [weight_l2(lam, ("encoder",))]}
    common = dict(size=64, n_train=3000, exclude=[(11.0, 18.0)], steps=steps, batch_size=64, lr=3e-3, device=str(dev))
    with tempfile.TemporaryDirectory() as scratch, _cache_at(scratch):
        _sync(dev)
        t0 = time.perf_counter()
        for kind, lam in settings:
            train_on_radii(callbacks=[*penalty[kind](lam), code_amplitude(probe)], extra_key={"bench": [kind, lam]},
                           **common)
        _sync(dev)
        alone = (time.perf_counter() - t0) / steps / len(settings)
        t0 = time.perf_counter()
        regularised_grid(settings, [0], probe, **common)
        _sync(dev)
        rows.append(("disks/04 grid (types × λ, 64², batch 64)", len(settings), alone,
                     (time.perf_counter() - t0) / steps / len(settings)))
    data = torch.rand(1000, 784, generator=torch.Generator().manual_seed(0))
    members = [(0.0, False), (0.0, True), (0.1, False), (0.1, True)]
    mnist = dict(hidden=(500,), epochs=steps / 10, batch_size=100, init="authors", device=str(dev))
    with tempfile.TemporaryDirectory() as scratch, _cache_at(scratch):
        _sync(dev)
        t0 = time.perf_counter()
        for lam, wl in members:
            cv.train_mnist_ae(data, "sigmoid", contractive_weight=lam, weight_length=wl, **mnist)
        _sync(dev)
        alone = (time.perf_counter() - t0) / steps / len(members)
        t0 = time.perf_counter()
        cv.train_mnist_ae_group(data, "sigmoid", members, **mnist)
        _sync(dev)
        rows.append(("conservative/02 group (AE/CAE × wl, 784-500)", len(members), alone,
                     (time.perf_counter() - t0) / steps / len(members)))
    return rows


def _cache_at(folder: str):
    """The weight cache at ``folder`` inside the block."""
    return _env("AEBOOK_CACHE_DIR", folder)


def main() -> None:
    """Print, per family, ms per step of the loop and of stacked training (per member), their ratio and SM use."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per measurement")
    parser.add_argument("--members", type=int, default=8, help="models trained together in the stacked run")
    parser.add_argument("--only", default="", help="comma-separated words; keep the families whose name has one")
    args = parser.parse_args()
    dev = resolve_device(args.device)
    words = [w for w in args.only.split(",") if w]
    chosen = [f for f in FAMILIES if not words or any(w in f.name for w in words)]
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    print(f"device: {name}; torch {torch.__version__}; {args.steps} steps; {args.members} stacked members")
    print("| family | batch | loop ms/step | loop as a CUDA graph ms/step | graph speed-up | stacked ms/step/model "
          "| stacked speed-up | stacked as a CUDA graph ms/step/model | stacked graph speed-up "
          "| SM use loop | SM use graph | SM use stacked | SM use stacked graph |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for family in chosen:
        try:
            print(_family_row(family, args.steps, args.members, dev), flush=True)
        except Exception as exc:  # noqa: BLE001 - one family failing (a capture, memory) must not end the table
            print(f"| {family.name} | {family.batch} | failed: {type(exc).__name__}: {str(exc)[:200]} |", flush=True)
    if not words or "grids" in words:
        print("\n| grid the book trains stacked | members | each alone ms/step/model | stacked ms/step/model | speed-up |")
        print("|---|---:|---:|---:|---:|")
        try:
            for name, n, alone, together in time_grids(args.steps, dev):
                print(f"| {name} | {n} | {alone * 1e3:.2f} | {together * 1e3:.2f} | {alone / together:.2f}× |",
                      flush=True)
        except Exception as exc:  # noqa: BLE001
            print(f"| failed: {type(exc).__name__}: {str(exc)[:200]} | | | | |", flush=True)
    if dev.type != "cuda":
        print("\nNo CUDA device: CUDA graphs and SM use are not measured; the ratios are the CPU's.")


def _family_row(family: Family, steps: int, members: int, dev: torch.device) -> str:
    """One family's row: the loop, stacked training, and both as CUDA graphs where there is CUDA."""
    data = torch.rand(max(4 * family.batch, 1000), *family.shape, generator=torch.Generator().manual_seed(0))
    loop, sm_loop = time_loop(family, data, steps, dev)
    stacked, sm_stacked = time_stacked(family, data, steps, members, dev)
    if dev.type == "cuda":
        graphed, sm_graph = time_loop(family, data, steps, dev, graph=True)
        graph_cells = f"{graphed * 1e3:.2f} | {loop / graphed:.2f}×"
        stacked_graph, sm_stacked_graph = time_stacked(family, data, steps, members, dev, graph=True)
        stacked_graph_cells = f"{stacked_graph * 1e3:.2f} | {loop / stacked_graph:.2f}×"
    else:
        sm_graph, graph_cells, sm_stacked_graph, stacked_graph_cells = "-", "- | -", "-", "- | -"
    return (f"| {family.name} | {family.batch} | {loop * 1e3:.2f} | {graph_cells} | {stacked * 1e3:.2f} "
            f"| {loop / stacked:.2f}× | {stacked_graph_cells} | {sm_loop} | {sm_graph} | {sm_stacked} "
            f"| {sm_stacked_graph} |")


if __name__ == "__main__":
    main()
