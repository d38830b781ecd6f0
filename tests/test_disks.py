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
