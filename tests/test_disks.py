import numpy as np
import pytest

from aebook.data.disks import allowed_intervals, disk_images, fitted_radius, in_intervals, sample_radii, evenly_spaced_radii


def test_allowed_intervals_removes_a_hole_and_a_maximum():
    assert allowed_intervals(32, [(11, 18)]) == [(0.0, 11.0), (18.0, 32.0)]
    assert allowed_intervals(32, [(18, 40)]) == [(0.0, 18.0)]
    with pytest.raises(ValueError, match="leaves no radius"):
        allowed_intervals(32, [(0, 32)])
    with pytest.raises(ValueError, match="low <= high"):
        allowed_intervals(32, [(18, 11)])


def test_sampled_radii_avoid_the_hole_and_fill_the_rest_uniformly():
    r = sample_radii(20000, 32, exclude=[(11, 18)], seed=1)
    assert r.min() > 0 and r.max() <= 32
    assert not in_intervals(r, [(11.0001, 17.9999)]).any()
    # Uniform on a total length of 25: the share below 11 is 11/25.
    assert abs((r < 11).mean() - 11 / 25) < 0.02
    np.testing.assert_array_equal(r, sample_radii(20000, 32, exclude=[(11, 18)], seed=1))
    assert not np.array_equal(r, sample_radii(20000, 32, exclude=[(11, 18)], seed=2))


def test_disks_are_binary_centred_and_have_the_right_area():
    imgs = disk_images([5.0, 20.0], size=64)
    assert imgs.shape == (2, 64, 64) and imgs.dtype == np.float32
    assert set(np.unique(imgs)) <= {0.0, 1.0}
    np.testing.assert_array_equal(imgs, imgs[:, ::-1, :])  # symmetric about the centre
    np.testing.assert_array_equal(imgs, imgs[:, :, ::-1])
    np.testing.assert_allclose(imgs.sum(axis=(1, 2)), np.pi * np.array([5.0, 20.0]) ** 2, rtol=0.05)
    np.testing.assert_allclose(fitted_radius(imgs), [5.0, 20.0], rtol=0.03)


def test_antialiased_disks_are_grey_on_the_edge_only():
    img = disk_images([10.3], size=32, antialias=4)[0]
    assert 0 <= img.min() and img.max() <= 1
    grey = (img > 0) & (img < 1)
    assert grey.any() and grey.sum() < 0.3 * (img > 0).sum()
    with pytest.raises(ValueError):
        disk_images([3.0], antialias=0)


def test_evenly_spaced_radii():
    r = evenly_spaced_radii(5, 32, r_min=0)
    np.testing.assert_allclose(np.diff(r), 8.0)


def test_squares_and_ellipses_have_the_right_area_and_unknown_shapes_are_refused():
    from aebook.data.disks import shape_images

    sq = shape_images("square", [10.0], size=64)[0]
    assert sq.sum() == 20 * 20  # pixel centres at ±0.5 … ±9.5 around the centre
    el = shape_images("ellipse", [20.0], size=64, aspect=0.5)[0]
    np.testing.assert_allclose(el.sum(), np.pi * 20 * 10, rtol=0.03)
    np.testing.assert_allclose(fitted_radius(shape_images("square", [7.0, 15.0]), "square"), [7.0, 15.0], rtol=0.05)
    with pytest.raises(ValueError, match="unknown shape"):
        shape_images("triangle", [3.0])


def test_blank_disks_are_dropped_before_counting_code_signs():
    from aebook.experiments.disks import majority_sign_share, nonblank

    imgs = disk_images([0.3, 0.6, 1.0, 5.0], size=64)   # radii below 1/√2 light no pixel centre
    np.testing.assert_array_equal(nonblank(imgs), [False, False, True, True])
    # a blank image encodes to exactly 0 without biases: it must count for neither sign
    assert majority_sign_share(np.array([0.0, 0.0, 1.0, 2.0])) == 0.5
    assert majority_sign_share(np.array([1.0, 2.0])) == 1.0
    assert majority_sign_share(np.array([-1.0, 2.0, -3.0, -0.5])) == 0.75


def test_late_growth_ignores_the_initial_plateau():
    from aebook.experiments.disks import late_growth

    steps = np.arange(1000)
    settled = np.where(steps < 200, 1e-3, 1.0)        # leaves a plateau, then stays put
    assert abs(late_growth(settled) - 1.0) < 1e-12     # the old end/10 % ratio would give 1000
    growing = np.exp(steps / 500)                      # last 5 % centred near step 975, middle near step 500
    assert abs(late_growth(growing) - np.exp(475 / 500)) < 0.05


def test_generic_profile_and_crossfade_controls():
    from aebook.analysis.optimal_profile import optimal_profile_numeric
    from aebook.analysis.profiles import profile_distance, ring_centres
    from aebook.experiments.disks import crossfade, generic_profile

    t = ring_centres(64)[:-1]
    rho, f = optimal_profile_numeric(32, 400)
    d = profile_distance(generic_profile(t, 32), np.interp(t, rho, f), t)
    assert 0.03 < d < 0.06   # close to the optimum, but outside the tightened bound of notebook 02
    x0, x1 = disk_images([4.0, 28.0], 64)
    y = crossfade(x0, x1, 5)
    np.testing.assert_array_equal(y[0], x0)
    np.testing.assert_array_equal(y[-1], x1)
    assert y.shape == (5, 64, 64)


def test_encoder_without_biases_maps_a_blank_image_to_zero_and_keeps_decoder_biases():
    import torch

    from aebook.experiments.disks import without_encoder_biases
    from aebook.models.disk_ae import DiskAutoencoder

    torch.manual_seed(0)
    model = without_encoder_biases(DiskAutoencoder(size=16, depths=(8, 4, 2)))
    names = [n for n, _ in model.named_parameters()]
    assert not any(n.startswith("encoder_convs") and n.endswith("bias") for n in names)
    assert any(n.startswith("decoder_convs") and n.endswith("bias") for n in names)
    assert model.encode(torch.zeros(1, 16, 16)).abs().max().item() == 0.0   # positively homogeneous encoder
    assert "bias=False" in repr(model)   # so the weight cache tells it from the standard network


def test_a_regularised_grid_member_equals_the_same_network_trained_alone(private_cache):
    import torch

    from aebook.experiments.disks import regularisation_callbacks, regularised_grid, train_on_radii
    from aebook.models.disk_ae import DiskAutoencoder

    common = dict(size=16, n_train=120, exclude=[(3.0, 5.0)], steps=25, batch_size=16, lr=3e-3, device="cpu")
    probe = torch.from_numpy(disk_images(np.linspace(1, 8, 4), 16))
    settings = [("none", 0.0), ("type 1", 1e-4), ("type 2", 1e-2), ("type 3", 1e-2)]
    small = dict(make_model=lambda: DiskAutoencoder(16, depths=(4, 2, 2)), **common)
    grid = regularised_grid(settings, [0, 3], probe, stacked=True, **small)
    assert list(grid) == [(seed, kind, lam) for seed in (0, 3) for kind, lam in settings]
    looped = regularised_grid(settings, [0, 3], probe, **small)  # on the CPU the members train one after another
    assert list(looped) == list(grid)
    for (seed, kind, lam), member in grid.items():
        alone = train_on_radii(DiskAutoencoder(16, depths=(4, 2, 2)), seed=seed, name=kind,
                               callbacks=regularisation_callbacks(kind, lam, seed, probe),
                               extra_key={"test": kind}, **common)
        for x, y, z in zip(member.model.state_dict().values(), alone.model.state_dict().values(),
                           looped[(seed, kind, lam)].model.state_dict().values()):
            torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-6)
            assert torch.equal(y, z)  # the CPU's grid is the lone run itself
        for name in ("loss", "code_amplitude"):
            torch.testing.assert_close(torch.tensor(member.history[name]), torch.tensor(alone.history[name]),
                                       rtol=1e-5, atol=1e-7)
            assert looped[(seed, kind, lam)].history[name] == alone.history[name]
    # the regularisers act: the weight penalties shrink the encoder's weights relative to no penalty
    from aebook.regularisers import conv_weight_sum
    none, type3 = grid[(0, "none", 0.0)].model, grid[(0, "type 3", 1e-2)].model
    with torch.no_grad():
        assert conv_weight_sum(type3, ("encoder",)) < conv_weight_sum(none, ("encoder",))
    for stacked in (True, False):
        with pytest.raises(ValueError, match="unknown regulariser"):
            regularised_grid([("type 4", 1.0)], [0], probe, stacked=stacked, **common)
    with pytest.raises(ValueError, match="unknown regulariser"):
        regularisation_callbacks("type 4", 1.0, 0, probe)


def test_largest_jump_tells_a_smooth_code_from_a_step():
    from aebook.analysis.fits import largest_jump

    r = np.linspace(1, 32, 50)
    assert largest_jump(r, r**2) < 0.05
    step = np.where(r < 15, r, r + 100.0)
    assert largest_jump(r, step) > 0.7
    assert largest_jump(r[::-1], (r**2)[::-1]) == largest_jump(r, r**2)  # order of the points does not matter
    assert largest_jump(r, np.ones_like(r)) == 0.0


def test_regularisation_figures_read_the_hole_the_band_and_the_seeds():
    """disks/04's figures from made-up sweeps whose answers are known: a network whose error doubles in the hole, a
    type 3 network that is flat, and the control band where nothing is missing."""
    from types import SimpleNamespace

    from aebook.experiments import disks as dk

    r = np.linspace(1, 32, 32)
    inside, outside = in_intervals(r, [(11.0, 18.0)]), ~in_intervals(r, [(11.0, 18.0)]) & (r >= 3)
    best = {"none": ("none", 0.0), "type 1": ("type 1", 1e-9), "type 2": ("type 2", 1e-4), "type 3": ("type 3", 1e-4)}
    level = {"none": 1.0, "type 1": 0.9, "type 2": 2.0, "type 3": 0.5}  # error outside the hole
    bump = {"none": 2.0, "type 1": 2.0, "type 2": 1.0, "type 3": 1.0}  # inside / outside
    sweeps, runs = {}, {}
    for seed in (0, 1):
        for kind, key in best.items():
            mse = np.where(inside, level[kind] * bump[kind] * (1 + seed), level[kind])
            sweeps[(seed, *key)] = SimpleNamespace(mse=mse, codes=(r**2)[:, None])
            runs[(seed, *key)] = SimpleNamespace(history={"code_amplitude": [1.0] * 60 + [2.0] * 40})
    ours, controls = dk.regularisation_figures(runs, sweeps, best, [0, 1], r, inside, outside, (20.0, 27.0))
    closes = ours["type3-closes-hole"]
    assert closes[dk.BUMP_NONE] == pytest.approx(3.0)  # inside the hole 2 at seed 0, 4 at seed 1; outside 1
    assert closes[dk.BUMP_RATIO] == pytest.approx(0.5) and closes[dk.SEEDS] == 2 and closes[dk.BEST_LAMBDA] == 1e-4
    assert controls["type3-closes-hole"][dk.BUMP_RATIO] == pytest.approx(1.0)  # no hole in the seen band
    assert ours["type3-best-in-hole"][dk.HOLE_2_3] == pytest.approx(4.0)
    assert ours["type1-no-help"][dk.HOLE_1_NONE] == pytest.approx(0.9)
    assert ours["type3-area"][dk.POWER] == pytest.approx(2.0, abs=0.05) and ours["type3-area"][dk.SPEARMAN] == 1.0
    assert ours["type2-amplitude"][dk.GROWTH_2] == pytest.approx(2.0) == controls["type2-amplitude"][dk.GROWTH_2]
    # the worst seed reads each seed's bump over the unregularised one's (0.5 at both), not the hole error alone (0.25)
    assert ours["type3-consistent-across-runs"][dk.WORST_SEED_3] == pytest.approx(0.5)
    assert set(controls) == set(ours) - {"type3-best-in-hole"}  # its arms are each other's comparison
