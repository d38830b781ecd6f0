"""The rewritings the GPU path uses compute what the CPU path computes, to rounding (checked here on the CPU):
the atomic decoder summing its blocks before the last upsampling and convolution, and the closed-form 2×2 inverse."""

from __future__ import annotations

import pytest
import torch

from aebook.models.atomic import AtomicAutoencoder
from aebook.models.spatial import affine_from_pose, inverse_2x2, invert_affine


@pytest.mark.parametrize("size, k, d0", [(16, 3, 3), (32, 4, 6)])
def test_summing_blocks_before_the_last_layers_equals_summing_the_atoms(size, k, d0):
    torch.manual_seed(0)
    model = AtomicAutoencoder(size, k=k, d0=d0)
    z = torch.randn(5, k * d0)
    with torch.no_grad():
        drawn = model.atoms(z).sum(dim=1, keepdim=True)
        summed = model.decode_summed(z)
    assert summed.shape == drawn.shape == (5, 1, size, size)
    torch.testing.assert_close(summed, drawn, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(model.decode(z), drawn, rtol=0, atol=0)  # the CPU keeps the atoms' own sum


def test_the_closed_form_inverse_of_a_2x2_matrix_is_the_solver_s():
    torch.manual_seed(0)
    a = torch.randn(64, 2, 2, dtype=torch.float64) + 2 * torch.eye(2, dtype=torch.float64)
    torch.testing.assert_close(inverse_2x2(a), torch.linalg.inv(a))
    theta = affine_from_pose(torch.randn(8, 5) * 0.2)
    inv = invert_affine(theta)
    composed = inv[:, :, :2] @ theta[:, :, :2]
    torch.testing.assert_close(composed, torch.eye(2).expand(8, 2, 2), rtol=1e-5, atol=1e-5)
