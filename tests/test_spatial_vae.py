"""The spatial-vae chapter's measures: entropy, angles, mosaics, warp range, the SVM table, multi-slider figures."""

import math

import numpy as np
import pytest
import torch

from aebook.analysis.images import mosaic
from aebook.experiments import spatial_vae as sv
from aebook.models.spatial import rotation


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
