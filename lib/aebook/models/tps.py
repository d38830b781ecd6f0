"""Thin-plate-spline warps on an s × s grid of control points (paper 004, 18 parameters for s = 3).

The control points sit on a regular grid over [−1, 1]²; the pose gives, for each of them, the offset of the point it
samples from (zero offsets are the identity). Because the control points are fixed, the spline's coefficients are a
fixed linear function of the offsets: the 12 × 12 system is solved once, and a warp is one small matrix product
followed by ``grid_sample``. This is why we do not use kornia's ``warp_image_tps``, which solves the system on every
call (and would add a dependency); ``bench/spatial_vae.py`` measures the difference.
"""

from __future__ import annotations

import torch
from torch import nn


def control_points(size: int = 3) -> torch.Tensor:
    """The (size², 2) control points (x, y) on a regular grid over [−1, 1]², row by row."""
    axis = torch.linspace(-1.0, 1.0, size, dtype=torch.float64)
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([x.flatten(), y.flatten()], dim=1)


def _radial(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The thin-plate kernel U(r) = r² log r² between every row of ``a`` and of ``b`` (0 at r = 0)."""
    r2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)  # not cdist(a, b).square(): cdist's sqrt is MKL's on the CPU
    return torch.where(r2 > 0, r2 * torch.log(r2.clamp_min(1e-30)), torch.zeros_like(r2))


def pixel_centres(side: int) -> torch.Tensor:
    """The (side², 2) pixel centres (x, y) in affine_grid's coordinates (align_corners=False), row by row."""
    axis = (2 * torch.arange(side, dtype=torch.float64) + 1) / side - 1
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([x.flatten(), y.flatten()], dim=1)


class ThinPlateSpline(nn.Module):
    """Warp (n, c, side, side) images by thin-plate splines given as offsets (n, 2·size²) of the control points."""

    def __init__(self, side: int = 28, size: int = 3) -> None:
        super().__init__()
        self.side, self.size = side, size
        points = control_points(size)
        k = len(points)
        system = torch.zeros(k + 3, k + 3, dtype=torch.float64)
        poly = torch.cat([torch.ones(k, 1, dtype=torch.float64), points], dim=1)
        system[:k, :k] = _radial(points, points)
        system[:k, k:] = poly
        system[k:, :k] = poly.T
        solve = torch.linalg.inv(system)[:, :k]  # coefficients = solve @ (source positions of the control points)
        pixels = pixel_centres(side)
        basis = torch.cat([_radial(pixels, points), torch.ones(len(pixels), 1, dtype=torch.float64), pixels], dim=1)
        self.register_buffer("points", points.float(), persistent=False)
        self.register_buffer("mixing", (basis @ solve).float(), persistent=False)  # (side², size²)

    @property
    def n_params(self) -> int:
        """Number of pose parameters: two offsets per control point."""
        return 2 * self.size**2

    def grid(self, offsets: torch.Tensor) -> torch.Tensor:
        """The sampling grid (n, side, side, 2) for control-point offsets (n, 2·size²) laid out as (x, y) pairs."""
        if offsets.dim() != 2 or offsets.shape[1] != self.n_params:
            raise ValueError(f"expected (n, {self.n_params}) thin-plate offsets, got {tuple(offsets.shape)}")
        source = self.points + offsets.view(-1, self.size**2, 2)
        return (self.mixing @ source).view(-1, self.side, self.side, 2)

    def forward(self, images: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        """Sample ``images`` at the spline's grid (bilinear, zeros outside)."""
        return nn.functional.grid_sample(images, self.grid(offsets), mode="bilinear", padding_mode="zeros",
                                         align_corners=False)
