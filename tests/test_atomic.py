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


def test_initial_model_is_the_training_start():
    from aebook.experiments.atomic import initial_model
    from aebook.train import TrainConfig, train

    data = torch.rand(8, 1, 16, 16)
    start = train(AtomicAutoencoder(16, 2, 2), data, TrainConfig(steps=0, batch_size=4, seed=3), cache=False,
                  progress=False).model
    again = initial_model(AtomicAutoencoder(16, 2, 2), seed=3)
    for a, b in zip(start.state_dict().values(), again.state_dict().values()):
        torch.testing.assert_close(a.cpu(), b)


def test_fig3_structure_needs_an_amplitude_coordinate_in_every_block():
    from aebook.experiments.atomic import amplitude_position_blocks

    # block 0: amplitude, x, y (Fig. 3); block 1: x, x, y (the old score alone would call it perfectly disentangled)
    r2 = np.array([[0.9, 0, 0], [0, 0.9, 0], [0, 0, 0.9], [0, 0.9, 0], [0, 0.9, 0], [0, 0, 0.9]])
    d = disentanglement(r2)
    assert d.score == 1.0
    assert amplitude_position_blocks(d, k=2, d0=3) == 0.5


def test_single_spike_share_tells_one_spike_from_two():
    from aebook.experiments.atomic import single_spike_share

    p = spike_parameters(20, 2, size=16, amplitude=(0.5, 1.0), min_separation=5, margin=2, seed=0)
    one = spike_atoms(p, size=16, sigma=1.0)  # (20, 2, 16, 16): each atom one spike
    assert single_spike_share(one, sigma=1.0) == 1.0
    two = one.sum(1, keepdims=True)  # each atom two spikes
    assert single_spike_share(two, sigma=1.0) == 0.0


def test_block_cosine_weights_out_empty_blocks():
    from aebook.experiments.atomic import block_cosine

    rng = np.random.default_rng(0)
    a, b = np.zeros((10, 8, 8)), np.zeros((10, 8, 8))
    a[:, :4], b[:, 4:] = 1.0, 1.0  # two disjoint strokes: cosine 0
    faint = 1e-4 * (1 + 0.01 * rng.random((10, 2, 8, 8)))  # two near-empty, near-identical backgrounds
    atoms = np.concatenate([a[:, None], b[:, None], faint], axis=1)
    assert block_cosine(atoms, weighted=True) < 0.01
    assert block_cosine(atoms, weighted=False) > 0.15  # the backgrounds' cosine ≈ 1 pulls the plain mean up


def test_pairing_of_identical_spikes_is_mixed_at_chance_whatever_the_rule():
    # Proposition II.2's data: four interchangeable spikes dealt at random to two atoms. Any assignment computed
    # from the image (here: the two leftmost spikes in block 0) is mixed for about 2/3 of the images.
    from aebook.experiments.atomic import pairing_from_owner

    rng = np.random.default_rng(0)
    x = rng.random((20000, 4))
    owner = (np.argsort(np.argsort(x, axis=1), axis=1) >= 2).astype(int)
    split, mixed = pairing_from_owner(owner)
    assert split.all() and abs(mixed.mean() - 2 / 3) < 0.02
    split, mixed = pairing_from_owner(np.array([[0, 0, 1, 1], [0, 1, 0, 1], [0, 0, 0, 1]]))
    assert split.tolist() == [True, True, False] and mixed.tolist() == [False, True, False]


def test_interpolation_top_share_and_bottleneck_note():
    from aebook.experiments.atomic import bottleneck_note, encoder_features, interpolation_top_share

    torch.manual_seed(0)
    model = AtomicAutoencoder(16, 3, 2).eval()
    z0 = np.zeros(6, dtype=np.float32)
    z1 = z0.copy()
    z1[2:4] = 1.0  # only block 1 moves
    np.testing.assert_allclose(interpolation_top_share(model, z0, z1, 5), 1.0)
    assert encoder_features(16) == 8 and encoder_features(128) == 512
    assert "cannot judge" in bottleneck_note(16, 9) and bottleneck_note(128, 9) == ""


def test_decoder_side_navigation_scores():
    from aebook.experiments.atomic import navigation_response, response_blocks, response_selectivity

    # block 0: amplitude, x, y; block 1: every coordinate moves x most
    resp = np.array([[1, 0, 0], [0, 1, 0], [0, 0.5, 0.5], [0.2, 1, 0], [0, 1, 0], [0, 1, 0]], dtype=float)
    assert response_blocks(resp, k=2, d0=3) == 0.5
    assert response_selectivity(np.eye(3)) == 1.0 and response_selectivity(np.zeros((2, 3))) == 0.0
    assert abs(response_selectivity(np.ones((4, 3))) - 1 / 3) < 1e-12
    assert response_selectivity(1e-3 * np.eye(3)) == 0.0  # an untrained decoder's tiny wiggles move nothing
    assert response_blocks(np.vstack([resp[:3] * 1e-3, resp[3:]]), k=2, d0=3) == 0.0
    torch.manual_seed(0)
    model = AtomicAutoencoder(16, 2, 3).eval()
    codes = np.random.default_rng(0).normal(size=(3, 6)).astype(np.float32)
    out = navigation_response(model, codes, codes.min(0) - 1, codes.max(0) + 1, 1.0, (0.5, 11.0, 11.0), n_steps=3)
    assert out.shape == (6, 3) and (out >= 0).all()


def test_the_proof_s_mixing_autoencoder_reconstructs_exactly_and_mixes_every_image():
    """Proposition II.2's construction: f_D = φ with g = ψ, f_E = ρ∘ζ. Its blocks sum to the image and each block
    holds one spike of each generating atom; without ρ the blocks are the generating atoms themselves."""
    from aebook.data.spikes import spike_atoms
    from aebook.experiments import atomic as at

    rng = np.random.default_rng(0)
    xs = np.stack([rng.permutation([3.0, 7.0, 11.0, 14.0]) for _ in range(6)])
    params = np.stack([np.ones_like(xs), xs, np.full_like(xs, 8.0)], axis=-1)  # (6, 4, 3): amplitude, x, y
    singles = spike_atoms(params, 16, 1.0)
    for mix, expected in ((True, 1.0), (False, 0.0)):
        blocks = at.proof_mixing_autoencoder(params, 16, 1.0, mix=mix)
        np.testing.assert_allclose(blocks.sum(1), singles.sum(1), atol=1e-6)
        split, mixed = at.block_pairing(blocks, singles)
        assert split.all() and mixed.mean() == expected


def test_split_interaction_is_zero_for_a_sum_and_large_for_the_spike():
    from aebook.experiments import atomic as at

    rng = np.random.default_rng(0)
    a, b = rng.uniform(3, 12, (200, 2)), rng.uniform(3, 12, (200, 2))
    share, part = at.split_interaction(at.spike_pair_psi(16, 1.0, 8.0), a, b)  # a sum of one spike per coordinate
    assert share < 1e-6 and part == (0,)
    params = [spike_parameters(200, 1, 16, margin=2.0, seed=s)[:, 0] for s in (1, 2)]
    share, _ = at.split_interaction(at.spike_psi(16, 1.0), *params)
    assert 0.25 < share <= 1.0  # a·g(x)·g(y): a product, no split makes it a sum
    with pytest.raises(ValueError):
        at.split_interaction(at.spike_psi(16, 1.0), params[0][:, :1], params[1][:, :1])


def test_a_perfect_spike_between_pixels_fits_with_a_small_residual():
    """The amplitude is fitted by least squares, not read off the peak pixel (which a spike between pixels does not
    reach): perfect spikes at σ = 1 on 16×16 fit to within a few per cent."""
    from aebook.experiments.atomic import fit_single_spike

    rng = np.random.default_rng(0)
    for _ in range(50):
        amp, x, y = rng.uniform(0.5, 1.0), rng.uniform(3, 12), rng.uniform(3, 12)
        (a, fx, fy), resid = fit_single_spike(spike_atoms(np.array([[[amp, x, y]]]), 16, 1.0)[0, 0], 1.0)
        assert resid < 0.05 and abs(a - amp) < 0.05 * amp


def test_the_gpu_layout_survives_vmap():
    """The GPU forward's channels-last input must work when atomic models are stacked under vmap (the GPU review's
    G4: ``contiguous(memory_format=...)`` raised there); outside vmap it is channels-last, with the same values."""
    import torch

    from aebook.models.atomic import channels_last

    x = torch.rand(3, 2, 1, 8, 8)
    with pytest.raises(RuntimeError):  # what the GPU forward did before
        torch.func.vmap(lambda t: t.contiguous(memory_format=torch.channels_last))(x)
    assert torch.equal(torch.func.vmap(channels_last)(x), x)
    out = channels_last(x[0])
    assert out.is_contiguous(memory_format=torch.channels_last) and torch.equal(out, x[0])
