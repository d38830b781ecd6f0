"""The graph smoke check, first thing on a lent GPU: for each model family the book trains, does its step run as a
CUDA graph, and does the graphed run train what the eager one trains?

Per family, with random data of the family's shapes and ``--steps`` steps:

1. **capture**: a strict run (``AEBOOK_CUDA_GRAPH=strict``) captures the step or fails loudly;
2. **state kept**: capturing (its warm-up steps included) leaves the weights and the optimiser's state as they
   were, bit for bit;
3. **graph ≈ eager**: the graphed run's final loss and weights agree with an eager run's (``AEBOOK_CUDA_GRAPH=0``)
   within :data:`LOSS_RTOL` and :data:`WEIGHT_RTOL` (the capturable optimiser is another kernel than the fused one,
   so the last bits differ and training amplifies them a little);
4. **resume**: a run interrupted half-way (by the time budget) and resumed ends on the uninterrupted run's weights,
   bit for bit;
5. **speed**: steps per second, eager and graphed.

On a CPU (the dry run the tests make) there is no graph: capture and graph ≈ eager read "no CUDA", and the state and
resume checks run on the eager step. A family that fails is reported in its row; the others still run. Exit status
1 when any check failed.

    python3 device/smoke.py [--device cuda|cpu] [--steps 40] [--only disks,vae]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from types import SimpleNamespace

import torch
from torch import nn

from aebook.training.families import Family

#: Final losses of the graphed and the eager run may differ by this much, relatively …
LOSS_RTOL = 1e-3
#: … and every weight by this share of the largest weight of its tensor.
WEIGHT_RTOL = 1e-3


def families() -> list[Family]:
    """Every model and loss the notebooks train (their paper-profile layers, small batches)."""
    from aebook.experiments.conservative import DenoisingMSE
    from aebook.experiments.spatial_vae import build
    from aebook.models.atomic import AtomicAutoencoder, PlainAutoencoder
    from aebook.models.dcgan import DCGANAutoencoder
    from aebook.models.disk_ae import DiskAutoencoder
    from aebook.models.mlp import MLPAutoencoder
    from aebook.models.mlp_family import MLPFamily, family_mse
    from aebook.models.vae import negative_elbo

    vae = [Family(f"spatial-vae {kind}", lambda kind=kind: build(kind, 8), (1, 28, 28), 100, negative_elbo, "adadelta")
           for kind in ("vae", "affine-tvae", "tps-tvae", "affine-dtvae")]
    return [
        Family("disks autoencoder 64²", lambda: DiskAutoencoder(64), (64, 64), 64),
        Family("disks DCGAN 64²", lambda: DCGANAutoencoder(size=64, code_dim=1, width=16), (64, 64), 32),
        Family("atomic 32², k=3", lambda: AtomicAutoencoder(32, k=3), (1, 32, 32), 32),
        Family("atomic plain 32²", lambda: PlainAutoencoder(32, 9), (1, 32, 32), 32),
        Family("planar MLP, denoising", lambda: MLPAutoencoder(2, (1000,), "relu"), (2,), 100, DenoisingMSE(0.1)),
        Family("784-500-784", lambda: MLPAutoencoder(784, (500,), "sigmoid"), (784,), 100),
        Family("ood family of 4", lambda: MLPFamily([2, 4, 8, 16]), (784,), 100, family_mse),
        *vae,
    ]


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _interrupt_after(steps: int) -> Iterator[None]:
    """The time budget runs out after ``steps`` steps (a clock that ticks once per step)."""
    from aebook import budget

    ticks = iter(range(10**9))
    real = budget.time
    budget.time = SimpleNamespace(time=lambda: float(next(ticks)))
    try:
        with _env(AEBOOK_DEADLINE=str(steps)):
            yield
    finally:
        budget.time = real


def _train(family: Family, data: torch.Tensor, steps: int, dev: str, graph: str, cache: str | None = None):
    from aebook.train import TrainConfig, reconstruction_mse, train

    config = TrainConfig(steps=steps, batch_size=family.batch, seed=1, optimizer=family.optimizer,
                         lr=1.0 if family.optimizer == "adadelta" else 1e-3, checkpoint_every=1)
    with _env(AEBOOK_CUDA_GRAPH=graph):
        return train(family.make(), data, config, loss_fn=family.loss or reconstruction_mse, device=dev,
                     cache=cache is not None, cache_dir=cache, progress=False, name=family.name)


def _weights(model: nn.Module) -> list[torch.Tensor]:
    return [v.detach().float().cpu() for v in model.state_dict().values()]


def _state_kept(family: Family, data: torch.Tensor, dev: torch.device) -> str:
    """Capture (or, without CUDA, the warm-up capture starts with) changes no weight and no optimiser state."""
    from aebook.train import SingleModel, TrainConfig, reconstruction_mse
    from aebook.training.lifecycle import initial_weights
    from aebook.training.optim import optimizer_for

    config = TrainConfig(steps=4, batch_size=family.batch, seed=1, optimizer=family.optimizer)
    model = initial_weights(family.make(), 1).to(dev)
    graphed = dev.type == "cuda"
    strategy = SingleModel(model, data.to(dev), config, dev, family.loss or reconstruction_mse, graphed=graphed)
    optimizer = optimizer_for(config, strategy.parameters(), graphed, dev)
    stepper = strategy.step_graph(optimizer, 0, config.steps)
    with strategy.running():
        strategy.before_step(0)
        stepper.run(0)  # the optimiser's state exists, as in a resumed run
        before = [t.detach().clone() for t in strategy.state()]
        before += [v.detach().clone() for s in optimizer.state.values() for v in s.values() if torch.is_tensor(v)]
        stepper.capture() if graphed else stepper.warm_up()
        after = [*strategy.state(), *(v for s in optimizer.state.values() for v in s.values() if torch.is_tensor(v))]
    return "yes" if all(torch.equal(a, b) for a, b in zip(before, after)) and len(before) == len(after) else "NO"


def check(family: Family, steps: int, dev: torch.device) -> tuple[list[str], bool]:
    """One family's row of the table, and whether every check passed."""
    data = torch.rand(4 * family.batch, *family.shape, generator=torch.Generator().manual_seed(0))
    ok, cells = True, []
    t0 = time.perf_counter()
    eager = _train(family, data, steps, dev.type, "0")
    eager_rate = steps / (time.perf_counter() - t0)
    if dev.type == "cuda":
        t0 = time.perf_counter()
        graphed = _train(family, data, steps, dev.type, "strict")  # raises CaptureFailed when capture fails
        graph_rate = steps / (time.perf_counter() - t0)
        cells.append("yes" if graphed.graphed else "NO (eager)")
        ok &= graphed.graphed
    else:
        graphed, graph_rate = None, float("nan")
        cells.append("no CUDA")
    kept = _state_kept(family, data, dev)
    cells.append(kept)
    ok &= kept == "yes"
    if graphed is not None:
        a, b = eager.history["loss"][-1], graphed.history["loss"][-1]
        loss_gap = abs(a - b) / max(abs(a), 1e-12)
        weight_gap = max(float((x - y).abs().max() / max(float(x.abs().max()), 1e-12))
                         for x, y in zip(_weights(eager.model), _weights(graphed.model)))
        close = loss_gap <= LOSS_RTOL and weight_gap <= WEIGHT_RTOL
        cells.append(f"{'yes' if close else 'NO'} (loss {loss_gap:.1e}, weights {weight_gap:.1e})")
        ok &= close
    else:
        cells.append("no CUDA")
    with tempfile.TemporaryDirectory() as whole, tempfile.TemporaryDirectory() as halves:
        mode = "strict" if dev.type == "cuda" else "0"
        uninterrupted = _train(family, data, steps, dev.type, mode, whole)
        try:
            with _interrupt_after(steps // 2):
                _train(family, data, steps, dev.type, mode, halves)
            stopped = False
        except Exception as exc:  # noqa: BLE001 - the budget's TimeBudgetExceeded is the expected way out
            stopped = type(exc).__name__ == "TimeBudgetExceeded"
        resumed = _train(family, data, steps, dev.type, mode, halves)
        same = stopped and all(torch.equal(x, y) for x, y in zip(_weights(uninterrupted.model),
                                                                  _weights(resumed.model)))
    cells.append("yes" if same else "NO")
    ok &= same
    cells += [f"{eager_rate:.0f}", "-" if graphed is None else f"{graph_rate:.0f}"]
    return cells, ok


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 1 when any family failed a check."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"))
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--only", default="", help="comma-separated words; keep the families whose name has one")
    args = parser.parse_args(argv)
    from aebook.device import resolve_device

    dev = resolve_device(args.device)
    words = [w for w in args.only.split(",") if w]
    chosen = [f for f in families() if not words or any(w in f.name for w in words)]
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu (no CUDA: eager only)"
    print(f"graph smoke check on {name}; torch {torch.__version__}; {args.steps} steps per run; graph ≈ eager "
          f"within {LOSS_RTOL:g} (final loss) and {WEIGHT_RTOL:g} (weights, relative to each tensor's largest)")
    print("| family | captured | capture keeps the state | graph ≈ eager | resumed = uninterrupted "
          "| eager steps/s | graph steps/s |")
    print("|---|---|---|---|---|---:|---:|")
    failed = 0
    for family in chosen:
        try:
            cells, ok = check(family, args.steps, dev)
        except Exception as exc:  # noqa: BLE001 - one family failing must not hide the others
            cells, ok = [f"FAILED: {type(exc).__name__}: {str(exc)[:150]}", "", "", "", "", ""], False
        failed += not ok
        print(f"| {family.name} | " + " | ".join(cells) + " |", flush=True)
    print(f"\n{len(chosen) - failed} of {len(chosen)} families passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
