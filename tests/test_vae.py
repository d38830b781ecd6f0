"""VAEs of the spatial-vae chapter: poses and warps, rot-MNIST, the ELBO and the importance-sampled likelihood."""

import math

import numpy as np
import pytest
import torch

from aebook.data.rotmnist import rotated_mnist
from aebook.models.spatial import affine_from_offsets, affine_from_pose, invert_affine, rotation, warp
from aebook.models.vae import VAE, DeepTransformerVAE, TransformerVAE, elbo, gaussian_kl, log_marginal


def test_poses_and_warps():
    torch.testing.assert_close(affine_from_pose(torch.zeros(2, 5)), torch.tensor([[[1.0, 0, 0], [0, 1.0, 0]]] * 2))
    torch.testing.assert_close(affine_from_offsets(torch.zeros(1, 6)), affine_from_pose(torch.zeros(1, 5)))
    x = torch.rand(3, 1, 12, 12)
    torch.testing.assert_close(warp(x, affine_from_offsets(torch.zeros(3, 6))), x, atol=1e-5, rtol=0)
    quarter = warp(x, rotation(torch.full((3,), math.pi / 2)))  # the picture turned 90° anticlockwise, as displayed
    torch.testing.assert_close(quarter, torch.rot90(x, k=1, dims=(2, 3)), atol=1e-5, rtol=0)
    theta = affine_from_pose(torch.tensor([[0.3, 0.1, -0.2, 0.1, -0.05]]))
    back = invert_affine(theta)
    full = lambda t: torch.cat([t, torch.tensor([[[0.0, 0, 1]]])], dim=1)  # noqa: E731
    torch.testing.assert_close(full(theta) @ full(back), torch.eye(3).unsqueeze(0), atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="psi"):
        affine_from_pose(torch.zeros(2, 6))


def test_rotated_mnist_is_seeded_and_turns_the_digits():
    x, y, a = rotated_mnist("test", 20, seed=3)
    x2, y2, a2 = rotated_mnist("test", 20, seed=3)
    assert x.shape == (20, 1, 28, 28) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    np.testing.assert_array_equal(x, x2) and np.testing.assert_array_equal(a, a2)
    assert 0 <= a.min() and a.max() < 2 * math.pi and np.ptp(a) > 1
    with pytest.raises(ValueError, match="n must be"):
        rotated_mnist("test", 0)


@pytest.mark.parametrize("model", [VAE(4), TransformerVAE(4, "affine"), TransformerVAE(4, "interpretable"),
                                   DeepTransformerVAE(4)])
def test_elbo_is_below_the_importance_sampled_likelihood(model):
    torch.manual_seed(0)
    x = (torch.rand(5, 1, 28, 28) > 0.7).float()
    with torch.no_grad():
        bound, like, kl = elbo(model, x, samples=50)
        assert (kl >= 0).all()
        torch.testing.assert_close(bound, like - kl)
        lp = log_marginal(model, x, samples=300)
        out = model(x)
    assert (bound <= lp + 1.0).all()  # log p(x) ≥ ELBO, up to Monte-Carlo noise
    assert out.shape == x.shape and 0 < float(out.min()) and float(out.max()) < 1


def test_kl_is_zero_only_at_the_prior():
    assert float(gaussian_kl(torch.zeros(1, 3), torch.zeros(1, 3))) == 0.0
    assert float(gaussian_kl(torch.ones(1, 3), torch.zeros(1, 3))) == pytest.approx(1.5)
