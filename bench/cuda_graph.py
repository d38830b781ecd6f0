"""Benchmark: one training step of each model family three ways, on the same device, models and batches.

1. the book's loop (``aebook.train.train``: a batch drawn on the host each step, a loss history kept on the device);
2. an eager step with the data and all batch indices on the device ahead of time, no host sync;
3. the same step captured once in a CUDA graph (capturable Adam) and replayed.

It also checks that the graph computes what the eager step computes: the weights after the timed steps of 2 and 3
(same initial weights, same batches) must agree to float32 rounding, printed as the largest relative difference.

Run: python bench/cuda_graph.py [--steps 500] (CUDA only: without it, it says so and exits).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch
from torch import nn

from aebook.models.disk_ae import DiskAutoencoder
from aebook.models.mlp import MLPAutoencoder
from aebook.models.vae import VAE, negative_elbo
from aebook.train import TrainConfig, reconstruction_mse, train
from aebook.training.optim import batch_indices

FAMILIES: list[tuple[str, Callable[[], nn.Module], tuple[int, ...], int, Callable]] = [
    ("conservative MLP 784-500-784", lambda: MLPAutoencoder(784, (500,), "sigmoid"), (784,), 100, reconstruction_mse),
    ("ood member 784-128-64-32-20", lambda: MLPAutoencoder(784, (128, 64, 32, 20), "relu"), (784,), 256,
     reconstruction_mse),
    ("spatial-vae VAE z=8", lambda: VAE(8), (1, 28, 28), 100, negative_elbo),
    ("disks autoencoder 64²", lambda: DiskAutoencoder(64), (64, 64), 300, reconstruction_mse),
]


def _model(make: Callable[[], nn.Module], dev: torch.device) -> nn.Module:
    torch.manual_seed(0)
    return make().to(dev)


def eager_steps(model: nn.Module, data: torch.Tensor, idx: torch.Tensor, loss_fn: Callable) -> torch.Tensor:
    """Run one eager step per row of ``idx`` (data and indices on the device); the losses stay on the device."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, capturable=True)
    losses = torch.empty(len(idx), device=data.device)
    for i in range(len(idx)):
        loss = loss_fn(model, data[idx[i]])
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
        losses[i] = loss.detach()
    return losses


def build_graph(model: nn.Module, data: torch.Tensor, first: torch.Tensor, loss_fn: Callable):
    """Capture one whole step (forward, backward, capturable Adam) in a CUDA graph; return the graph, the index
    buffer it reads its batch from and the buffer it writes its loss to. The model keeps its initial weights."""
    step_idx, loss_buf = first.clone(), torch.zeros((), device=data.device)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    scratch = torch.optim.Adam(model.parameters(), lr=1e-3, capturable=True)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm-up on a side stream, as capture requires
        for _ in range(3):
            scratch.zero_grad(set_to_none=False)
            loss_fn(model, data[step_idx]).backward()
            scratch.step()
    torch.cuda.current_stream().wait_stream(side)
    model.load_state_dict(state)  # back to the initial weights, with a fresh optimiser
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, capturable=True)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()  # creates the optimiser's state; a zero gradient at Adam's first step moves nothing
    for st in opt.state.values():
        for v in st.values():
            v.zero_()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(model, data[step_idx])
        loss.backward()
        opt.step()
        loss_buf.copy_(loss.detach())
    return graph, step_idx, loss_buf


def replay_steps(graph: torch.cuda.CUDAGraph, step_idx: torch.Tensor, loss_buf: torch.Tensor,
                 idx: torch.Tensor) -> torch.Tensor:
    """Replay the captured step once per row of ``idx``; the losses stay on the device."""
    losses = torch.empty(len(idx), device=idx.device)
    for i in range(len(idx)):
        step_idx.copy_(idx[i])
        graph.replay()
        losses[i] = loss_buf
    return losses


def timed(fn: Callable[[], object]) -> float:
    """Seconds of ``fn`` between two device syncs."""
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    return time.perf_counter() - t0


def main() -> None:
    """Print, per family, ms per step of the three ways, the graph's speed-up over the loop and its agreement."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=500)
    steps = parser.parse_args().steps
    if not torch.cuda.is_available():
        print("No CUDA device: nothing to measure (this benchmark compares CUDA graphs with eager steps).")
        return
    dev = torch.device("cuda")
    print(f"device: {torch.cuda.get_device_name(dev)}; torch {torch.__version__}; {steps} steps")
    print("| family | batch | book loop ms | eager, data on device ms | CUDA graph ms | graph vs loop | "
          "max rel. weight diff graph/eager |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, make, shape, batch, loss_fn in FAMILIES:
        try:
            row(name, make, shape, batch, loss_fn, steps, dev)
        except Exception as exc:  # noqa: BLE001 - one family's failure must not cost the others' figures
            print(f"| {name} | {batch} | failed: {type(exc).__name__}: {str(exc)[:200]} |||||", flush=True)


def row(name: str, make: Callable[[], nn.Module], shape: tuple[int, ...], batch: int, loss_fn: Callable, steps: int,
        dev: torch.device) -> None:
    """Measure and print one family's row."""
    data = torch.rand(4000, *shape, generator=torch.Generator().manual_seed(0)).to(dev)
    idx = torch.stack([batch_indices(len(data), batch, 0, s) for s in range(steps)]).to(dev)
    cfg = TrainConfig(steps=steps, batch_size=batch)
    train(make(), data, TrainConfig(steps=5, batch_size=batch), loss_fn=loss_fn, device="cuda", cache=False,
          progress=False)
    loop = timed(lambda: train(make(), data, cfg, loss_fn=loss_fn, device="cuda", cache=False, progress=False))
    eager_model, graph_model = _model(make, dev), _model(make, dev)
    eager_steps(_model(make, dev), data, idx[:5], loss_fn)  # warm-up
    eager = timed(lambda: eager_steps(eager_model, data, idx, loss_fn))
    captured = build_graph(graph_model, data, idx[0], loss_fn)
    graph = timed(lambda: replay_steps(*captured, idx))
    worst = max(float((a - b).abs().max() / (a.abs().max() + 1e-30))
                for a, b in zip(eager_model.state_dict().values(), graph_model.state_dict().values()))
    diff = "n/a (draws noise)" if loss_fn is negative_elbo else f"{worst:.1e}"
    n = steps
    print(f"| {name} | {batch} | {loop / n * 1e3:.3f} | {eager / n * 1e3:.3f} | {graph / n * 1e3:.3f} | "
          f"{loop / graph:.2f}× | {diff} |", flush=True)


if __name__ == "__main__":
    main()
