"""Image geometry: 2-D poses, affine matrices and warps (torch's affine_grid / grid_sample), shared by the spatial
transformer models of the spatial-vae chapter and the rotated digits they are trained on."""

from __future__ import annotations

import torch
from torch import nn


def affine_from_pose(u: torch.Tensor) -> torch.Tensor:
    """The thesis's interpretable pose u = (ψ, log Sx, log Sy, Tx, Ty), shape (n, 5), as affine matrices (n, 2, 3):
    [[Sx cos ψ, −Sx sin ψ, Sx Tx], [Sy sin ψ, Sy cos ψ, Sy Ty]] (section V.iii)."""
    if u.dim() != 2 or u.shape[1] != 5:
        raise ValueError(f"a pose is (psi, log Sx, log Sy, Tx, Ty): expected (n, 5), got {tuple(u.shape)}")
    psi, sx, sy, tx, ty = u[:, 0], u[:, 1].exp(), u[:, 2].exp(), u[:, 3], u[:, 4]
    row1 = torch.stack([sx * psi.cos(), -sx * psi.sin(), sx * tx], dim=1)
    row2 = torch.stack([sy * psi.sin(), sy * psi.cos(), sy * ty], dim=1)
    return torch.stack([row1, row2], dim=1)


def affine_from_offsets(u: torch.Tensor) -> torch.Tensor:
    """Six free affine cells as offsets from the identity: (n, 6) → (n, 2, 3), u = 0 is the identity."""
    if u.dim() != 2 or u.shape[1] != 6:
        raise ValueError(f"expected (n, 6) affine offsets, got {tuple(u.shape)}")
    # made on u's device, not copied from the host: a host tensor here would be a copy in every step, which a CUDA
    # graph cannot capture (the GPU review's G1)
    identity = torch.eye(2, 3, dtype=u.dtype, device=u.device)
    return identity + u.view(-1, 2, 3)


def warp(images: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Sample ``images`` (n, c, h, w) at the grid ``theta`` (n, 2, 3) maps the output's coordinates to (bilinear,
    zeros outside; coordinates in [−1, 1], as torch.nn.functional.affine_grid defines them)."""
    grid = nn.functional.affine_grid(theta, list(images.shape), align_corners=False)
    return nn.functional.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def inverse_2x2(a: torch.Tensor) -> torch.Tensor:
    """The inverse of each 2×2 matrix (n, 2, 2) in closed form: no solver call and no host synchronisation on a GPU."""
    det = a[:, 0, 0] * a[:, 1, 1] - a[:, 0, 1] * a[:, 1, 0]
    adjugate = torch.stack([torch.stack([a[:, 1, 1], -a[:, 0, 1]], dim=-1),
                            torch.stack([-a[:, 1, 0], a[:, 0, 0]], dim=-1)], dim=-2)
    return adjugate / det[:, None, None]


def invert_affine(theta: torch.Tensor) -> torch.Tensor:
    """The inverse of each affine map (n, 2, 3): in closed form on a GPU, with ``torch.linalg.inv`` on the CPU (whose
    results the committed outputs hold, bit for bit)."""
    a, t = theta[:, :, :2], theta[:, :, 2:]
    a_inv = inverse_2x2(a) if a.is_cuda else torch.linalg.inv(a)
    return torch.cat([a_inv, -a_inv @ t], dim=2)


def rotation(angles: torch.Tensor) -> torch.Tensor:
    """Affine matrices (n, 2, 3) of rotations by ``angles`` (radians) about the image centre."""
    zeros = torch.zeros_like(angles)
    return affine_from_pose(torch.stack([angles, zeros, zeros, zeros, zeros], dim=1))
