import pytest
import torch

from aebook.analysis.jacobian import curl_2d, eigenvalues, jacobians, symmetry_score
from aebook.models.mlp import MLPAutoencoder


def test_jacobian_of_a_linear_map_is_its_matrix_in_every_chunk():
    torch.manual_seed(0)
    a = torch.randn(3, 4)
    x = torch.randn(10, 4)
    jac = jacobians(lambda v: v @ a.T, x, chunk=3)
    assert jac.shape == (10, 3, 4)
    torch.testing.assert_close(jac, a.expand(10, 3, 4))


def test_jacobian_matches_finite_differences_for_an_mlp():
    torch.manual_seed(0)
    model = MLPAutoencoder(5, hidden=(7,), activation="sigmoid").double().eval()
    x = torch.randn(4, 5, dtype=torch.float64)
    jac = jacobians(model, x)
    eps = 1e-6
    for k in range(5):
        step = torch.zeros(5, dtype=torch.float64)
        step[k] = eps
        fd = (model(x + step) - model(x - step)) / (2 * eps)
        torch.testing.assert_close(jac[:, :, k], fd, rtol=1e-6, atol=1e-8)


def test_symmetry_score_bounds():
    sym = torch.tensor([[[2.0, 1.0], [1.0, 3.0]]])
    anti = torch.tensor([[[0.0, 1.0], [-1.0, 0.0]]])
    mixed = torch.tensor([[[1.0, 2.0], [0.0, 1.0]]])
    assert float(symmetry_score(sym)) == pytest.approx(1.0)
    assert float(symmetry_score(anti)) == pytest.approx(0.0)
    assert 0 < float(symmetry_score(mixed)) < 1
    with pytest.raises(ValueError, match="square"):
        symmetry_score(torch.zeros(1, 2, 3))


def test_curl_of_a_rotation_and_of_a_gradient_field():
    x = torch.randn(6, 2)
    rotation = jacobians(lambda v: torch.stack([-v[:, 1], v[:, 0]], dim=1), x)
    torch.testing.assert_close(curl_2d(rotation), torch.full((6,), 2.0))
    gradient = jacobians(lambda v: torch.stack([2 * v[:, 0] * v[:, 1], v[:, 0] ** 2], dim=1), x)  # ∇(x²y)
    torch.testing.assert_close(curl_2d(gradient), torch.zeros(6), atol=1e-6, rtol=0)


def test_eigenvalues_of_a_rotation_are_imaginary():
    rot = torch.tensor([[[0.0, -1.0], [1.0, 0.0]]])
    ev = eigenvalues(rot)[0]
    assert sorted(ev.imag.tolist()) == pytest.approx([-1.0, 1.0])
    assert ev.real.abs().max() < 1e-12


def test_mlp_autoencoder_shapes_and_errors():
    model = MLPAutoencoder(784, hidden=(32, 8), activation="relu", out_activation="sigmoid")
    x = torch.rand(3, 28, 28)
    assert model.encode(x).shape == (3, 8) and model(x).shape == (3, 784)
    with torch.no_grad():
        assert float(model(x).min()) >= 0
    with pytest.raises(ValueError, match="unknown activation"):
        MLPAutoencoder(2, activation="swish")
