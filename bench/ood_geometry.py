"""Benchmark for paper 002's machinery, two ratios measured in one run on the same inputs:

1. one batched MLPFamily step for latent sizes 2…20 against a loop of the same steps over 19 standalone models;
2. the d×d spectrum of J_I (aebook.analysis.spectra) against torch.linalg.eigvals of the full 784×784 J_I;
3. the closed-form spectra of the whole family (aebook.analysis.family_spectra) against autograd, member by member.

Run: .venv/bin/python bench/ood_geometry.py [--steps 20] [--points 4] [--device auto]
"""

from __future__ import annotations

import argparse
import time

import torch

from aebook.analysis.family_spectra import family_spectra
from aebook.analysis.spectra import composed_spectra, full_input_jacobian
from aebook.device import resolve_device
from aebook.models.mlp_family import MLPFamily


def sync(dev: torch.device) -> None:
    """Wait for queued GPU work, so that timings are honest."""
    if dev.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    """Print both timings and their ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--points", type=int, default=4)
    parser.add_argument("--family-points", type=int, default=256)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    dev = resolve_device(args.device)
    torch.manual_seed(0)
    family = MLPFamily(list(range(2, 21))).to(dev)
    members = family.members()
    x = torch.rand(args.steps, args.batch, 784, device=dev) * 2 - 1

    opt = torch.optim.Adam(family.parameters(), lr=1e-3)
    sync(dev)
    t0 = time.perf_counter()
    for xb in x:
        loss = ((family(xb) - xb) ** 2).mean(dim=(1, 2)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    sync(dev)
    t_family = time.perf_counter() - t0

    opts = [torch.optim.Adam(m.parameters(), lr=1e-3) for m in members]
    t0 = time.perf_counter()
    for xb in x:
        for m, o in zip(members, opts):
            loss = ((m(xb) - xb) ** 2).mean()
            o.zero_grad()
            loss.backward()
            o.step()
    sync(dev)
    t_loop = time.perf_counter() - t0
    print(f"device {dev}: {args.steps} steps of batch {args.batch} for 19 models (d = 2…20)")
    print(f"  loop over models {t_loop:.2f} s, one batched family {t_family:.2f} s: {t_loop / t_family:.1f}× faster")

    model = members[-1].eval()  # d = 20
    pts = torch.rand(args.points, 784, device=dev)
    t0 = time.perf_counter()
    composed_spectra(model, pts)
    sync(dev)
    t_small = (time.perf_counter() - t0) / args.points
    t0 = time.perf_counter()
    torch.linalg.eigvals(full_input_jacobian(model, pts).double())
    sync(dev)
    t_full = (time.perf_counter() - t0) / args.points
    print(f"  J_I spectrum per point (d = 20): full 784×784 eigvals {t_full * 1e3:.1f} ms, "
          f"d×d product {t_small * 1e3:.1f} ms: {t_full / t_small:.1f}× faster")


    family.eval()
    pts = torch.rand(args.family_points, 784, device=dev)
    t0 = time.perf_counter()
    family_spectra(family, pts)
    sync(dev)
    t_closed = time.perf_counter() - t0
    t0 = time.perf_counter()
    for member in members:
        composed_spectra(member.eval(), pts)
    sync(dev)
    t_autograd = time.perf_counter() - t0
    print(f"  spectra of J_I and J_L, 19 members × {args.family_points} points: autograd member by member "
          f"{t_autograd:.2f} s, closed-form family {t_closed:.2f} s: {t_autograd / t_closed:.1f}× faster")


if __name__ == "__main__":
    main()
