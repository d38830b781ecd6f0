"""Benchmark for paper 004's thin-plate-spline warp, ratios measured in one run on the same inputs:

1. ``aebook.models.tps.ThinPlateSpline`` (system solved once, a warp is one matrix product and grid_sample) against
   the same spline solved afresh on every call (what a general TPS routine does), forward and backward;
2. the same against kornia's ``get_tps_transform`` + ``warp_image_tps``, when kornia is installed (it is not in
   requirements.txt: ``pip install kornia`` to include it).

Run: .venv/bin/python bench/spatial_vae.py [--batch 100] [--repeats 50] [--device auto]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from aebook.device import resolve_device
from aebook.models.tps import ThinPlateSpline, _radial, control_points, pixel_centres


def solved_per_call(images: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """The standard TPS warp, its 12 × 12 system built and solved for every image on every call."""
    n, _, side, _ = images.shape
    points = control_points(3).to(images)
    k = len(points)
    poly = torch.cat([torch.ones(k, 1).to(images), points], dim=1)
    system = torch.zeros(k + 3, k + 3).to(images)
    system[:k, :k], system[:k, k:], system[k:, :k] = _radial(points, points), poly, poly.T
    rhs = torch.cat([points + offsets.view(n, k, 2), torch.zeros(n, 3, 2).to(images)], dim=1)
    coeffs = torch.linalg.solve(system.expand(n, -1, -1), rhs)
    pixels = pixel_centres(side).to(images)
    basis = torch.cat([_radial(pixels, points), torch.ones(len(pixels), 1).to(images), pixels], dim=1)
    grid = (basis @ coeffs).view(n, side, side, 2)
    return torch.nn.functional.grid_sample(images, grid, align_corners=False)


def timed(fn: Callable[[], torch.Tensor], offsets: torch.Tensor, repeats: int, dev: torch.device) -> float:
    """Seconds per forward + backward pass, after one warm-up."""
    for i in range(repeats + 1):
        if i == 1:
            if dev.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        offsets.grad = None
        fn().square().sum().backward()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    """Print the timings, their ratios, and the largest difference between the warps."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    dev = resolve_device(args.device)
    images = torch.rand(args.batch, 1, 28, 28, device=dev)
    offsets = (0.15 * torch.randn(args.batch, 18, device=dev)).requires_grad_(True)
    tps = ThinPlateSpline(28).to(dev)
    ours = timed(lambda: tps(images, offsets), offsets, args.repeats, dev)
    fresh = timed(lambda: solved_per_call(images, offsets), offsets, args.repeats, dev)
    diff = float((tps(images, offsets) - solved_per_call(images, offsets)).abs().max())
    print(f"device {dev}, batch {args.batch}: solved once {1e3 * ours:.2f} ms, solved per call {1e3 * fresh:.2f} ms "
          f"→ {fresh / ours:.1f}× (largest difference {diff:.1e})")
    try:
        from kornia.geometry.transform import get_tps_transform, warp_image_tps
    except ImportError:
        print("kornia is not installed: its row is skipped")
        return
    points = control_points(3).float().to(dev).expand(args.batch, -1, -1).contiguous()

    def kornia_warp() -> torch.Tensor:
        kernel, affine = get_tps_transform(points, points + offsets.view(args.batch, 9, 2))
        return warp_image_tps(images, points + offsets.view(args.batch, 9, 2), kernel, affine, align_corners=False)

    theirs = timed(kornia_warp, offsets, args.repeats, dev)
    print(f"kornia {1e3 * theirs:.2f} ms → ours is {theirs / ours:.1f}× faster "
          f"(largest difference {float((kornia_warp() - tps(images, offsets)).abs().max()):.2f}: a different spline)")


if __name__ == "__main__":
    main()
