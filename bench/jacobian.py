"""Benchmark: batched Jacobians (vmap over jacrev, aebook.analysis.jacobian) against a per-point Python loop; then
the symmetry score of ∂r/∂x (paper 003) through ``mlp_symmetry`` against the score of the full 784×784 Jacobians, for
the three kinds of network the conservative chapter scores.

Run: .venv/bin/python bench/jacobian.py [--n 64] [--device cpu|cuda|auto]. Prints the time of each method and
their ratio, measured in the same run on the same model and points.
"""

from __future__ import annotations

import argparse
import time

import torch

from aebook.analysis.jacobian import jacobians, symmetry_score
from aebook.analysis.symmetry import mlp_jacobian, mlp_symmetry
from aebook.device import resolve_device
from aebook.experiments.conservative import LinearDecoderAutoencoder
from aebook.models.mlp import MLPAutoencoder


def loop_jacobians(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The baseline: one torch.autograd.functional.jacobian call per point."""
    return torch.stack([torch.autograd.functional.jacobian(lambda v: model(v[None])[0], row) for row in x])


def timed(fn, repeats: int = 3) -> tuple[float, torch.Tensor]:
    """Best wall time of ``repeats`` calls, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        if out.is_cuda:
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    """Time both methods on an MNIST-sized untied autoencoder (784 → 500 → 784)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=64, help="number of points")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    dev = resolve_device(args.device)
    torch.manual_seed(0)
    model = MLPAutoencoder(784, hidden=(500,), activation="sigmoid").to(dev).eval()
    x = torch.rand(args.n, 784, device=dev)
    t_batched, j_batched = timed(lambda: jacobians(model, x))
    t_loop, j_loop = timed(lambda: loop_jacobians(model, x))
    torch.testing.assert_close(j_batched, j_loop, rtol=1e-4, atol=1e-5)
    print(f"device {dev}, {args.n} points, Jacobians of 784 × 784")
    print(f"per-point loop {t_loop:.3f} s, batched vmap {t_batched:.3f} s: batched is {t_loop / t_batched:.1f}× faster")
    networks = {
        "784-500-784 sigmoid (closed form)": MLPAutoencoder(784, (500,), "sigmoid"),
        "784-500-250 sigmoid + linear 784 (split at 250)": LinearDecoderAutoencoder(784, (500, 250), "sigmoid"),
        "ood family member, d = 20 (split at 20)": MLPAutoencoder(784, (128, 64, 32, 20), "relu", "tanh",
                                                                  linear_code=True),
    }
    for name, net in networks.items():
        net = net.to(dev).eval()
        t_full, s_full = timed(lambda: symmetry_score(mlp_jacobian(net, x)))
        t_fast, s_fast = timed(lambda: mlp_symmetry(net, x))
        torch.testing.assert_close(s_fast, s_full, rtol=1e-4, atol=1e-5)
        print(f"symmetry, {name}: full Jacobians {t_full:.3f} s, mlp_symmetry {t_fast:.4f} s: {t_full / t_fast:.1f}×")


if __name__ == "__main__":
    main()
