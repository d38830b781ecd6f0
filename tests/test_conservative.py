"""The recipes of the conservative chapter: denoising loss, fields on a grid, curl, filter similarity."""

import numpy as np
import pytest
import torch

from aebook.experiments import conservative as cv
from aebook.models.mlp import MLPAutoencoder


def test_denoising_loss_is_a_function_of_the_batch_and_of_sigma():
    torch.manual_seed(0)
    model = MLPAutoencoder(2, (8,), "relu")
    batch = torch.rand(16, 2)
    loss = cv.DenoisingMSE(0.3)
    with torch.no_grad():
        assert float(loss(model, batch)) == float(loss(model, batch))  # same batch, same noise: resumable
        clean = torch.nn.functional.mse_loss(model(batch), batch)
        assert float(cv.DenoisingMSE(0.0)(model, batch)) == pytest.approx(float(clean))
        assert float(cv.DenoisingMSE(1.0)(model, batch)) != pytest.approx(float(clean))


def test_field_and_curl_of_a_linear_rotation():
    # r(x) = A x with A a rotation by 90° scaled by 0.5: field (A − I)x, curl = A₂₁ − A₁₂ = 1 everywhere
    model = MLPAutoencoder(2, (2,), "relu")
    with torch.no_grad():
        model.encoder[0].weight.copy_(torch.eye(2) * 1.0)
        model.encoder[0].bias.fill_(10.0)  # keep the ReLU in its linear part on the grid
        model.decoder[0].weight.copy_(torch.tensor([[0.0, -0.5], [0.5, 0.0]]))
        model.decoder[0].bias.copy_(-model.decoder[0].weight @ torch.full((2,), 10.0))
    f = cv.planar_field(model, n=5)
    np.testing.assert_allclose(f.curl, 1.0, atol=1e-6)
    x, y = np.meshgrid(f.xs, f.ys)
    np.testing.assert_allclose(f.u, -0.5 * y - x, atol=1e-5)
    np.testing.assert_allclose(f.v, 0.5 * x - y, atol=1e-5)
    assert cv.mean_abs_curl(model, np.zeros((3, 2), dtype=np.float32)) == pytest.approx(1.0, abs=1e-6)
    assert cv.relative_change(f, f) == 0.0


def test_matched_filter_cosine_is_one_for_tied_weights():
    model = MLPAutoencoder(6, (4,), "sigmoid")
    with torch.no_grad():
        model.decoder[0].weight.copy_(model.encoder[0].weight.T * 3)
    assert cv.matched_filter_cosine(model) == pytest.approx(1.0)


def test_authors_initialisation_puts_filters_above_the_weight_length_cap():
    import math

    from aebook.experiments import conservative as cv

    torch.manual_seed(0)
    model = cv.AuthorsInitAutoencoder(784, (500,), "sigmoid")
    model.after_reset()
    w_norms, r_norms = cv.filter_norms(model)
    assert cv.authors_init_bound(784, 500) == pytest.approx(4 * math.sqrt(6 / 1284))
    assert w_norms.min() > math.sqrt(10) and r_norms.min() > math.sqrt(10)  # about 4.4: the cap binds at once
    assert cv.share_at_cap(model, math.sqrt(10)) == 1.0
    assert float(model.encoder[0].bias.detach().abs().max()) == 0.0
    default = cv.MLPAutoencoder(784, (500,), "sigmoid")  # PyTorch's default: norms ≈ 0.6, far below the cap
    assert cv.share_at_cap(default, math.sqrt(10)) == 0.0


def test_linear_decoder_autoencoder_has_two_hidden_layers():
    from aebook.analysis.symmetry import mlp_jacobian
    from aebook.experiments import conservative as cv

    model = cv.LinearDecoderAutoencoder(12, (8, 5), "sigmoid")
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(12, 8), (8, 5), (5, 12)]
    x = torch.rand(3, 12)
    jac = mlp_jacobian(model, x)
    auto = torch.stack([torch.autograd.functional.jacobian(model, xi[None])[0, :, 0] for xi in x])
    torch.testing.assert_close(jac, auto, rtol=1e-5, atol=1e-6)
