"""The spatial-vae chapter's measures: entropy, angles, mosaics, warp range, the SVM table, multi-slider figures."""

import math

import numpy as np
import pytest
import torch

from aebook.analysis.images import mosaic
from aebook.experiments import spatial_vae as sv
from aebook.geometry import rotation


def test_pixel_entropy_is_zero_for_black_and_white_and_one_for_grey():
    sharp = np.zeros((1, 4, 4))
    sharp[0, 1:3] = 1
    np.testing.assert_allclose(sv.pixel_entropy(np.concatenate([sharp, np.full((1, 4, 4), 0.5)])), [0.0, 1.0],
                               atol=1e-9)


def test_circular_offset_finds_a_constant_shift_across_the_wrap():
    true = np.linspace(0, 2 * math.pi, 50, endpoint=False)
    mean, spread = sv.circular_offset(true + math.radians(10) + 2 * math.pi, true)
    assert mean == pytest.approx(10.0) and spread == pytest.approx(0.0, abs=1e-4)
    rng = np.random.default_rng(0)
    assert sv.circular_offset(rng.uniform(0, 2 * math.pi, 500), true.repeat(10))[1] > 100  # no relation


def test_rotation_angles_read_back_the_rotation_of_a_pose():
    model = sv.build("affine-tvae", 2)
    angles = torch.tensor([0.3, -2.0, 3.0])
    offsets = (rotation(angles) - torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])).reshape(3, 6)
    np.testing.assert_allclose(sv.rotation_angles(model, offsets.numpy()), angles.numpy(), atol=1e-6)
    interp = sv.build("interpretable-tvae", 2)
    poses = torch.tensor([[0.7, 0.2, -0.1, 0.0, 0.1]])
    np.testing.assert_allclose(sv.rotation_angles(interp, poses.numpy()), [0.7], atol=1e-6)


def test_warp_range_measures_displacement_in_pixels():
    model = sv.build("affine-tvae", 2)
    shift = torch.zeros(4, 6)
    shift[:, 2] = 2 / 28  # one pixel to the right, in [−1, 1] coordinates of a 28-pixel image
    assert sv.warp_range(model, shift, torch.zeros(6)) == pytest.approx(1.0, rel=1e-5)
    assert sv.warp_range(model, torch.zeros(4, 6), torch.zeros(6)) == pytest.approx(0.0, abs=1e-6)


def test_mosaic_tiles_row_by_row_with_white_gaps():
    tiles = np.stack([np.full((2, 2), v, dtype=float) for v in (0.1, 0.2, 0.3)])
    out = mosaic(tiles, cols=2)
    assert out.shape == (5, 5)
    assert out[0, 0] == 0.1 and out[0, 3] == 0.2 and out[3, 0] == 0.3 and out[3, 3] == 1.0 and out[2, 0] == 1.0
    with pytest.raises(ValueError, match="mosaic"):
        mosaic(tiles[0], cols=2)


def test_svm_accuracy_separates_separable_classes_and_not_noise():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 60)
    x = rng.normal(size=(180, 5)) + 4 * np.eye(5)[y]
    mean, std, test = sv.svm_accuracy(x, y, x, y, folds=3)
    assert mean > 95 and test > 95 and std >= 0
    noise_mean, _, _ = sv.svm_accuracy(rng.normal(size=(180, 5)), y, x, y, folds=3)
    assert noise_mean < 60


def test_build_refuses_an_unknown_kind_and_pose_sizes_are_the_theses():
    assert [sv.pose_size(k) for k in sv.KINDS] == [0, 6, 18, 6]
    with pytest.raises(ValueError, match="unknown model kind"):
        sv.build("gan", 2)


def test_figure_sliders_redraw_with_every_slider_value():
    from aebook import viz

    seen = []
    box = viz.figure_sliders(lambda ax, values: seen.append(dict(values)), {"a": (0.0, 1.0, 0.1, 0.2),
                                                                           "b": (-1.0, 1.0, 0.5, 0.0)})
    assert seen == [{"a": 0.2, "b": 0.0}]
    box.children[1].value = 0.5
    assert seen[-1] == {"a": 0.2, "b": 0.5}
    with pytest.raises(ValueError, match="at least one"):
        viz.figure_sliders(lambda ax, values: None, {})


def _correlated_affine_draws(n: int = 4000) -> torch.Tensor:
    """Affine offsets whose cells b and c move together in opposite directions (rotations), and a, d together."""
    g = torch.Generator().manual_seed(0)
    v = torch.randn(n, 2, generator=g) * 0.15
    return torch.stack([v[:, 1], -v[:, 0], torch.zeros(n), v[:, 0], v[:, 1], torch.zeros(n)], dim=1)


def test_extreme_share_sees_covariance_that_warp_range_cannot():
    model = sv.build("affine-tvae", 2)
    full = _correlated_affine_draws()
    diagonal = sv.shuffle_columns(full, seed=1)  # same marginals, no covariance
    np.testing.assert_allclose(sorted(diagonal[:, 1].tolist()), sorted(full[:, 1].tolist()))
    centre = torch.zeros(6)
    # The old metric: RMS range depends on the marginals only.
    assert sv.warp_range(model, full, centre) == pytest.approx(sv.warp_range(model, diagonal, centre), rel=0.03)
    # The new one: against data with the diagonal spread, the correlated draws reach far more extreme poses.
    data = sv.shuffle_columns(full, seed=2)
    share_full, share_diag = sv.extreme_share(model, full, data), sv.extreme_share(model, diagonal, data)
    assert share_diag == pytest.approx(0.01, abs=0.01)
    assert share_full > 3 * share_diag


def test_far_init_starts_away_from_the_identity_and_default_random_does_not():
    torch.manual_seed(0)
    x = torch.rand(16, 1, 28, 28)
    far, near = sv.untrained("affine-tvae", 4), None
    torch.manual_seed(0)
    far = sv.build("affine-tvae", 4, init="far")
    torch.manual_seed(0)
    near = sv.build("affine-tvae", 4, init="random")
    far_pose, near_pose = sv.encode(far, x)[1], sv.encode(near, x)[1]
    assert np.abs(near_pose).mean() < 0.15
    assert np.abs(far_pose).mean() > 0.2
    angle = abs(math.degrees(float(sv.rotation_angles(far, far_pose[:1])[0])))
    assert 20 < angle < 100
    with pytest.raises(ValueError):
        sv.build("tps-tvae", 4, init="far")


def test_fixed_pose_error_equals_the_model_error_at_its_own_pose_when_the_pose_is_constant():
    model = sv.untrained("affine-tvae", 3)
    x = torch.rand(20, 1, 28, 28)
    pose = sv.mean_pose(model, x)  # untrained at identity init: every digit's pose is the identity
    assert sv.fixed_pose_error(model, x, pose) == pytest.approx(sv.evaluate(model, x)["reconstruction error"],
                                                                rel=1e-5)


def test_accuracy_se_is_binomial():
    assert sv.accuracy_se(90.0, 1000) == pytest.approx(100 * math.sqrt(0.09 / 1000))


def test_warp_like_at_the_identity_keeps_the_images_and_shrinking_blackens_the_border():
    model = sv.untrained("affine-tvae", 2)
    images = np.full((2, 28, 28), 0.5, dtype=np.float32)
    np.testing.assert_allclose(sv.warp_like(model, images, torch.zeros(6)), images, atol=1e-5)
    zoom_out = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])  # θ = 2·identity: the image drawn at half size
    shrunk = sv.warp_like(model, images, zoom_out)
    assert shrunk[:, 0, 0].max() < 1e-5 and sv.pixel_entropy(shrunk).mean() < sv.pixel_entropy(images).mean()


def test_svm_test_accuracy_reads_separable_codes_and_not_shuffled_labels():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 60)
    x = rng.normal(size=(180, 4)) + 5 * np.eye(4)[y]
    assert sv.svm_test_accuracy(x[::2], y[::2], x[1::2], y[1::2]) == 100.0
    assert sv.svm_test_accuracy(x[::2], rng.permutation(y[::2]), x[1::2], y[1::2]) < 70.0


def test_reconstructions_are_the_mean_reconstructions_in_batches():
    model = sv.untrained("affine-tvae", 3, seed=1)
    x = torch.rand(7, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        direct = model(x)[:, 0].numpy()
    batched = sv.reconstructions(model, x, batch=3)  # three batches: 3, 3 and 1 digits
    assert batched.shape == (7, 28, 28)
    np.testing.assert_allclose(batched, direct, rtol=1e-6, atol=1e-7)


@pytest.mark.filterwarnings("ignore:There is a performance drop:UserWarning")
@pytest.mark.parametrize("kind, init", [("affine-tvae", "far"), ("tps-tvae", "identity"), ("affine-dtvae", "identity")])
def test_spatial_models_train_stacked_each_from_its_lone_run_s_start(kind, init, tmp_path):
    """What fit_seeds runs on a GPU, on the CPU: the spatial models go through vmap (grid sampling, the TPS basis
    kept out of the saved state), each member starts from its lone run's weights and draws its own noise."""
    from aebook.models.vae import negative_elbo
    from aebook.stacked import train_stacked
    from aebook.train import train

    x = torch.rand(60, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    configs = [sv.vae_config(len(x), epochs=1, batch_size=20, seed=s) for s in (0, 1)]
    runs = train_stacked(lambda: sv.build(kind, 2, init=init), x, configs, loss=negative_elbo,
                         randomness="different", snapshot_steps=[0], cache=False, device="cpu")
    for config, run in zip(configs, runs):
        assert len(run.history["loss"]) == 3 and all(np.isfinite(run.history["loss"]))
        lone = train(sv.build(kind, 2, init=init), x, config, loss_fn=negative_elbo, snapshot_steps=[0],
                     cache=False, progress=False, device="cpu")
        assert set(run.snapshots[0]) == set(lone.snapshots[0]) == set(lone.model.state_dict())
        assert all(torch.equal(run.snapshots[0][k], lone.snapshots[0][k]) for k in lone.snapshots[0])
    assert not torch.equal(runs[0].snapshots[0]["encoder.0.weight"], runs[1].snapshots[0]["encoder.0.weight"])


def test_fit_seeds_off_a_gpu_is_fit_seed_by_seed(tmp_path, monkeypatch):
    monkeypatch.setenv("AEBOOK_CACHE_DIR", str(tmp_path))
    x = torch.rand(40, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    together = sv.fit_seeds("affine-tvae", 2, x, [3, 4], epochs=1, batch_size=20, device="cpu", init="far")
    for seed, model in zip([3, 4], together):
        alone = sv.fit("affine-tvae", 2, x, epochs=1, batch_size=20, seed=seed, device="cpu", init="far")
        assert not model.training
        assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), alone.state_dict().values()))
    with pytest.raises(ValueError, match="epochs"):
        sv.fit_seeds("vae", 2, x, [0], epochs=0)
