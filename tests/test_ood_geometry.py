"""The recipes of the ood-geometry chapter: step counts, reconstruction measures, and the per-set summary."""

import numpy as np
import pytest
import torch

from aebook.analysis import eigen_stats as es
from aebook.analysis.family_spectra import family_spectra
from aebook.experiments import ood_geometry as og
from aebook.models.mlp_family import MLPFamily


def test_steps_for_epochs():
    assert og.steps_for(300, 60_000, 256) == 70_313
    assert og.steps_for(0.5, 100, 10) == 5
    with pytest.raises(ValueError):
        og.steps_for(0, 100, 10)


def test_reconstruction_measures():
    rng = np.random.default_rng(0)
    spread_out = rng.random((20, 16)).astype(np.float32)
    alike = np.repeat(spread_out[:1], 20, axis=0) + 0.01 * rng.random((20, 16)).astype(np.float32)
    assert og.spread_ratio(alike, spread_out) < 0.1
    assert og.spread_ratio(spread_out, spread_out) == pytest.approx(1.0)
    ref = rng.random((50, 16)).astype(np.float32)
    np.testing.assert_allclose(og.nearest_distance(ref[:5], ref), 0, atol=1e-3)
    assert (og.nearest_distance(ref[:5] + 0.5, ref) > 0.1).all()
    assert og.rms_between(ref, ref + 0.2) == pytest.approx(0.2, rel=1e-5)
    assert og.disagreement_ratio(ref, ref + 0.4, ref, ref + 0.1) == pytest.approx(4.0, rel=1e-4)


def test_spectral_summary_matches_the_statistics_of_each_set():
    torch.manual_seed(0)
    family = MLPFamily([2, 3], in_dim=20, hidden=(10, 6)).eval()
    rng = np.random.default_rng(1)
    sets = {og.D_TRAIN: rng.random((30, 20)).astype(np.float32),
            "bright": (0.5 + 0.5 * rng.random((30, 20))).astype(np.float32)}
    summary = og.spectral_summary(family, sets, chunk=8, n_samples=10, keep_points=4)
    assert summary.set_names == [og.D_TRAIN, "bright"] and summary.latent_sizes == [2, 3]
    assert summary.distance.shape == (2, 2)
    np.testing.assert_allclose(summary.pixel_mean, [sets[og.D_TRAIN].mean(), sets["bright"].mean()], rtol=1e-6)
    spec = family_spectra(family, torch.from_numpy(sets["bright"]))[1]  # member d = 3 on the bright set
    lam_i, lam_l = spec.input_space.numpy(), spec.latent_space.numpy()
    r = summary.row("bright")
    assert summary.arith_i[r, 1] == pytest.approx(es.arithmetic_mean_modulus(lam_i))
    assert summary.std_log_l[r, 1] == pytest.approx(es.log_modulus_std(lam_l))
    assert summary.reversed_i[r, 1] == pytest.approx(es.reversed_share(lam_i), nan_ok=True)
    assert summary.singular_i[r, 1] == pytest.approx(es.singular(lam_i).mean())
    assert summary.distance[r, 1] == pytest.approx(np.median(es.eigen_distance(lam_i, lam_l)))
    assert summary.cloud["bright"][1].shape == (4, 3)
    assert len(summary.samples["log_i"]["bright"][0]) == 10


def test_reconstruction_ratios_and_the_untrained_control():
    family = og.untrained_family([2, 8, 9], seed=0)
    again = og.untrained_family([2, 8, 9], seed=0)
    assert all(torch.equal(a, b) for a, b in zip(family.parameters(), again.parameters()))  # seeded
    rng = np.random.default_rng(0)
    noise = {"a": rng.random((6, 784)).astype(np.float32), "b": rng.random((6, 784)).astype(np.float32)}
    digits, reference = rng.random((12, 784)).astype(np.float32), rng.random((30, 784)).astype(np.float32)
    out = og.reconstruction_ratios(family, noise, digits, reference)
    assert out["sameness"].shape == (3,) and out["novelty"].shape == (3,)
    rec = np.concatenate([og.reconstruct(family, x) for x in noise.values()], axis=1)
    assert out["sameness"][0] == pytest.approx(og.spread_ratio(rec[0], og.reconstruct(family, digits)[0]))
    assert np.isfinite(out["across_d"])  # one pair of members with d ≥ 8
    assert out["grouped_sameness"].shape == (3,)


def test_grouped_sameness_sees_two_images_as_two_groups_of_one():
    rng = np.random.default_rng(1)
    digits = rng.random((20, 784)).astype(np.float32)
    dark_image, bright_image = np.full(784, 0.1, np.float32), np.full(784, 0.9, np.float32)
    jitter = lambda: rng.normal(0, 0.01, (5, 784)).astype(np.float32)  # noqa: E731
    recons = {"dark1": dark_image + jitter(), "dark2": dark_image + jitter(),
              "bright1": bright_image + jitter(), "bright2": bright_image + jitter()}
    means = {"dark1": 0.1, "dark2": 0.2, "bright1": 0.8, "bright2": 0.7}
    pooled = og.spread_ratio(np.concatenate(list(recons.values())), digits)
    grouped = og.grouped_sameness(recons, means, digits)
    assert grouped < 0.1 < pooled  # each group is one image; pooled, the two images are far apart
    swapped = {"dark1": 0.1, "dark2": 0.8, "bright1": 0.2, "bright2": 0.7}  # groups that mix the two images
    assert og.grouped_sameness(recons, swapped, digits) > 10 * grouped
    with pytest.raises(ValueError, match="no mean intensity"):
        og.grouped_sameness(recons, {"dark1": 0.1}, digits)


def test_claim_figures_count_noise_sets_against_mnist_at_each_latent_size():
    """share_above_mnist compares every noise set with MNIST at the same latent size, per seed; coin_flip reads the
    largest latent size where MNIST has full-rank points."""
    from types import SimpleNamespace

    names = [og.D_TRAIN, "noise a", "noise b"]
    summary = SimpleNamespace(set_names=names, latent_sizes=[2, 4], row=names.index,
                              distance=np.array([[1.0, 1.0], [2.0, 0.5], [3.0, 3.0]]),
                              singular_i=np.array([[0.0, 0.9], [0.0, 0.0], [0.0, 0.0]]),
                              reversed_i=np.array([[0.1, 0.0], [0.5, 0.4], [0.7, 0.6]]))
    assert og.share_above_mnist([summary], "distance") == 0.75          # 3 of the 4 (set, size) pairs
    assert og.share_above_mnist([summary], "distance", above=False) == 0.25
    # how much, not how often: the ratios are 2, 0.5, 3 and 3
    assert og.median_over_mnist([summary], "distance") == pytest.approx(2.5)
    flip = og.coin_flip([summary])                                      # size 4 has MNIST singular: size 2 is read
    assert flip["median share reversed (noise)"] == pytest.approx(0.6)
    assert flip["noise − MNIST"] == pytest.approx(0.5)


def test_the_medians_row_counts_the_sets_that_vary_twice_as_much_as_mnist():
    """Fig. 3's "for each data set": the share of noise sets whose values vary over d at least twice MNIST's."""
    from types import SimpleNamespace

    names = [og.D_TRAIN, "noise a", "noise b", "noise c"]
    summary = SimpleNamespace(set_names=names, row=names.index)
    medians = np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0], [0.0, 1.5]])  # spreads over d: 0.5, 1, 1.5, 0.75
    assert og._share_varying_more(summary, medians) == pytest.approx(2 / 3)
    assert og._variation_over_mnist(summary, medians) == pytest.approx(2.0)  # the median set (a: 1) over MNIST (0.5)


def test_latent_claim_figures_read_constancy_distance_and_clusters():
    """A set whose means vary over d more than MNIST's counts; J_L far from MNIST's at the smallest d counts; the
    brightness order is read for J_I against J_L."""
    from types import SimpleNamespace

    names = [og.D_TRAIN, "dark", "mid", "bright"]
    flat = np.ones((4, 3))
    arith_i = np.array([[1.0, 1.0, 1.0], [1.0, 3.0, 9.0], [1.0, 2.0, 4.0], [1.0, 0.5, 0.25]])
    arith_l = np.array([[1.0, 1.0, 1.0], [4.0, 2.0, 1.0], [1.1, 1.0, 1.2], [0.2, 1.0, 3.0]])
    summary = SimpleNamespace(set_names=names, latent_sizes=[2, 4, 8], row=names.index, pixel_mean=np.array([.1, .1, .5, .9]),
                              arith_i=arith_i, geo_nz_i=arith_i, arith_l=arith_l, geo_nz_l=flat)
    f = og.latent_claim_figures([summary])
    shares = f["less-constant"]
    assert shares["share of noise sets whose arithmetic mean |λ_JI| varies more over d than MNIST's"] == 1.0
    assert shares["share of noise sets whose geometric mean |λ_JL| varies more over d than MNIST's"] == 0.0
    assert shares["median share over the four means"] == 1.0  # three of the four means vary more on every set
    assert f["jl-far"]["share of noise sets far from MNIST's mean |λ_JL| at the smallest d"] == pytest.approx(2 / 3)
    # J_I is ordered by brightness (ρ = −1), J_L the other way round (ρ = +1): no difference in strength
    assert f["jl-no-clusters"]["|ρ| for J_I − |ρ| for J_L (brightness order at the largest d)"] == pytest.approx(0.0)
    same = SimpleNamespace(**{**vars(summary), "arith_i": flat, "geo_nz_i": flat, "arith_l": flat})
    assert og.latent_claim_figures([same])["less-constant"]["median share over the four means"] == 0.0


def test_the_nonzero_geometric_mean_leaves_the_floored_zeros_out():
    from aebook.analysis import eigen_stats as es

    lam = np.array([[2.0, 8.0, 0.0], [1.0, 4.0, 16.0]])  # one dead direction at the first point
    assert es.nonzero_geometric_mean_modulus(lam) == pytest.approx(np.exp(np.log([2, 8, 1, 4, 16]).mean()))
    assert es.geometric_mean_modulus(lam) < es.nonzero_geometric_mean_modulus(lam) / 5  # the floored zero drags it
    assert np.isnan(es.nonzero_geometric_mean_modulus(np.zeros((1, 3))))
