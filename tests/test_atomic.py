"""Spikes, the atomic autoencoder's batched blocks, and the disentanglement measures."""

import numpy as np
import pytest
import torch

from aebook.analysis.disentangle import disentanglement, match_atoms, r2_table
from aebook.data.spikes import spike_atoms, spike_images, spike_parameters
from aebook.models.atomic import AtomicAutoencoder, PlainAutoencoder, decoder_channels


def test_spikes_respect_separation_margin_and_peak():
    p = spike_parameters(200, 3, size=32, min_separation=8, margin=4, seed=1)
    assert p.shape == (200, 3, 3)
    d = np.linalg.norm(p[:, :, None, 1:] - p[:, None, :, 1:], axis=-1) + np.eye(3) * 99
    assert d.min() >= 8 and p[..., 1:].min() >= 4 and p[..., 1:].max() <= 27
    one = np.array([[[0.7, 10.0, 20.0]]])
    img = spike_images(one, size=32, sigma=1.5)[0, 0]
    assert img.shape == (32, 32) and img[20, 10] == pytest.approx(0.7) and img.argmax() == 20 * 32 + 10
    np.testing.assert_allclose(spike_atoms(p[:5]).sum(1), spike_images(p[:5])[:, 0], rtol=1e-6)
    with pytest.raises(ValueError, match="do not fit"):
        spike_parameters(1, 10, size=16, min_separation=8)


def test_atomic_decoder_is_the_sum_of_one_shared_block_decoder():
    torch.manual_seed(0)
    model = AtomicAutoencoder(size=16, k=3, d0=2).eval()
    z = torch.randn(4, 6)
    atoms = model.atoms(z)
    for j in range(3):
        torch.testing.assert_close(atoms[:, j], model.block(z[:, 2 * j : 2 * j + 2])[:, 0])
    torch.testing.assert_close(model.decode(z)[:, 0], atoms.sum(1))
    assert PlainAutoencoder(16, 6)(torch.rand(2, 1, 16, 16)).shape == (2, 1, 16, 16)
    assert decoder_channels(64) == [8, 8, 8, 16, 32]  # Table I's five layers
    with pytest.raises(ValueError, match="power of two"):
        AtomicAutoencoder(size=48)


def test_matching_and_scores():
    rng = np.random.default_rng(0)
    true = rng.random((5, 3, 4, 4))
    perm = np.array([2, 0, 1])
    assert (match_atoms(true[:, perm], true) == perm).all()
    factors = rng.random((500, 3))
    codes = np.stack([factors[:, 0] ** 2, 3 * factors[:, 2], factors[:, 1] + factors[:, 2]], axis=1)
    d = disentanglement(r2_table(codes, factors))
    assert d.r2[0, 0] > 0.99 and d.r2[1, 2] > 0.99 and d.r2[0, 1] < 0.05
    assert d.shares[0].argmax() == 0 and d.shares[1].argmax() == 2
    assert 0.7 < d.score < 1.0  # the third coordinate mixes two factors
    assert disentanglement(np.eye(3)).score == 1.0
