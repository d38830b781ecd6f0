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
