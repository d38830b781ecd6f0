import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment

from aebook.analysis.spectra import composed_spectra, full_input_jacobian
from aebook.data.noise import NOISE_SETS, noise_images
from aebook.models.mlp import MLPAutoencoder


def match_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest distance between two multisets of complex numbers after the best one-to-one matching."""
    cost = np.abs(a[:, None] - b[None, :])
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].max())


@pytest.mark.parametrize("n_in, d", [(20, 3), (784, 4)])
def test_small_spectrum_equals_the_nonzero_part_of_the_full_one(n_in, d):
    torch.manual_seed(0)
    model = MLPAutoencoder(n_in, hidden=(16, d), activation="relu", out_activation="tanh").double().eval()
    x = torch.rand(3, n_in, dtype=torch.float64)
    small = composed_spectra(model, x).input_space.numpy()
    full = torch.linalg.eigvals(full_input_jacobian(model, x)).numpy()
    for s, f in zip(small, full):
        top = f[np.argsort(-np.abs(f))[:d]]  # rank ≤ d: the other eigenvalues are zero
        assert np.abs(f[np.argsort(-np.abs(f))[d:]]).max() < 1e-8
        assert match_error(s, top) < 1e-8
    assert np.iscomplexobj(small)


def test_latent_spectrum_is_that_of_the_d_by_d_latent_jacobian():
    torch.manual_seed(1)
    model = MLPAutoencoder(10, hidden=(8, 2), activation="tanh").double().eval()
    x = torch.rand(2, 10, dtype=torch.float64)
    spec = composed_spectra(model, x)
    assert spec.latent_space.shape == (2, 2)
    with torch.no_grad():
        z = model.encode(x)
    for i in range(2):
        def latent_map(v):
            return model.encode(model.decode(v[None]))[0]
        jl = torch.autograd.functional.jacobian(latent_map, z[i])
        assert match_error(spec.latent_space[i].numpy(), torch.linalg.eigvals(jl).detach().numpy()) < 1e-8


def test_noise_sets_have_the_stated_statistics_and_are_seeded():
    assert len(NOISE_SETS) == 10
    x = noise_images("bernoulli 0.13", 2000, seed=3)
    assert x.shape == (2000, 784) and x.dtype == np.float32 and set(np.unique(x)) <= {0.0, 1.0}
    assert abs(x.mean() - 0.13) < 0.005
    tn = noise_images("truncated normal", 500)
    assert 0 <= tn.min() and tn.max() <= 1 and abs(tn.mean() - 0.5) < 0.01
    assert abs(noise_images("beta 5 0.8", 500).mean() - 5 / 5.8) < 0.01
    np.testing.assert_array_equal(noise_images("uniform", 10, seed=1), noise_images("uniform", 10, seed=1))
    assert not np.array_equal(noise_images("uniform", 10, seed=1), noise_images("uniform", 10, seed=2))
    with pytest.raises(ValueError, match="unknown noise set"):
        noise_images("gaussian", 3)
