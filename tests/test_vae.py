"""VAEs of the spatial-vae chapter: poses and warps, rot-MNIST, the ELBO and the importance-sampled likelihood."""

import math

import numpy as np
import pytest
import torch

from aebook.data.rotmnist import rotated_mnist
from aebook.geometry import affine_from_offsets, affine_from_pose, invert_affine, rotation, warp
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
                                   TransformerVAE(4, "tps"),
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


def test_thin_plate_spline_is_the_identity_at_rest_and_interpolates_its_control_points():
    from aebook.models.tps import ThinPlateSpline, control_points, pixel_centres

    tps = ThinPlateSpline(side=12)
    x = torch.rand(2, 1, 12, 12)
    torch.testing.assert_close(tps(x, torch.zeros(2, 18)), x, atol=1e-5, rtol=0)
    # an affine change of the control points gives exactly that affine grid (a TPS reproduces affine maps)
    theta = affine_from_pose(torch.tensor([[0.4, 0.1, -0.1, 0.05, 0.1]]))
    points = control_points(3).float()
    moved = points @ theta[0, :, :2].T + theta[0, :, 2]
    grid = tps.grid((moved - points).reshape(1, 18))
    expected = torch.nn.functional.affine_grid(theta, [1, 1, 12, 12], align_corners=False)
    torch.testing.assert_close(grid, expected, atol=1e-5, rtol=0)
    # a non-affine offset: the spline passes through its control points; the middle one is the centre pixel of
    # an image of odd side
    offsets = 0.2 * torch.randn(1, 18, generator=torch.Generator().manual_seed(0))
    big = ThinPlateSpline(side=41)
    middle = big.grid(offsets)[0, 20, 20]
    torch.testing.assert_close(middle, (points + offsets.view(9, 2))[4], atol=1e-5, rtol=0)
    assert pixel_centres(41)[20 * 41 + 20].abs().max() < 1e-12
    with pytest.raises(ValueError, match="18"):
        tps.grid(torch.zeros(1, 6))


@pytest.mark.parametrize("prior", ["normal", "normal-identity", "full"])
@pytest.mark.parametrize("pose", ["affine", "interpretable", "tps"])
def test_pose_priors_give_a_kl_and_draws_of_the_right_shape(pose, prior):
    torch.manual_seed(0)
    model = TransformerVAE(3, pose, prior, pose_rank=2 if prior == "full" else None)
    x = torch.rand(4, 1, 28, 28)
    bound, like, kl = elbo(model, x)
    assert bound.shape == (4,) and (kl > 0).all()
    assert model.pose_mean().shape == (4, model.pose_dim) and model.sample_pose().shape == (4, model.pose_dim)
    assert model.prior_pose(5).shape == (5, model.pose_dim)
    assert not torch.equal(model.sample_pose(), model.sample_pose())  # stochastic
    with pytest.raises(ValueError, match="deterministic"):
        log_marginal(model, x, samples=2)
    if prior == "normal-identity":  # the prior mean is fixed: not a parameter
        assert "prior_mean" not in dict(model.named_parameters())


def test_kl_to_a_fitted_normal_matches_the_closed_form():
    from aebook.models.vae import gaussian_kl_to

    mu, ls, nu, lt = torch.tensor([[0.3]]), torch.tensor([[-0.5]]), torch.tensor([0.1]), torch.tensor([0.2])
    s2, t2 = math.exp(-1.0), math.exp(0.4)
    expected = 0.5 * (math.log(t2 / s2) + (s2 + 0.2**2) / t2 - 1)
    assert float(gaussian_kl_to(mu, ls, nu, lt)) == pytest.approx(expected, rel=1e-6)


def test_training_keeps_the_identity_start_of_the_pose(tmp_path):
    from aebook.train import TrainConfig, train

    model = TransformerVAE(2, "affine", "normal")
    run = train(model, torch.rand(8, 1, 28, 28), TrainConfig(steps=0, batch_size=4), cache_dir=tmp_path,
                progress=False)
    out = run.model.encoder[-1].requires_grad_(False)
    assert float(out.weight[4:10].abs().max()) == 0.0 and float(out.bias[4:10].abs().max()) == 0.0
    torch.testing.assert_close(out.bias[10:], torch.full((6,), math.log(0.1)))
    dt = train(DeepTransformerVAE(2), torch.rand(8, 1, 28, 28), TrainConfig(steps=0, batch_size=4),
               cache_dir=tmp_path, progress=False).model
    assert float(dt.localiser[-1].weight.detach().abs().max()) == 0.0


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="unknown pose"):
        TransformerVAE(2, "perspective")
    with pytest.raises(ValueError, match="unknown prior"):
        TransformerVAE(2, "affine", "laplace")
    with pytest.raises(ValueError, match="pose_rank"):
        TransformerVAE(2, "affine", "normal", pose_rank=3)
    with pytest.raises(ValueError, match="pose_rank must be"):
        TransformerVAE(2, "affine", "full", pose_rank=7)
    with pytest.raises(ValueError, match="no prior"):
        TransformerVAE(2).prior_pose(3)
