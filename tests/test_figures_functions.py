"""The notebooks' figures functions: each reads the figures its rows judge from what the notebook measured, the
control's the same way, and the untrained control is the very network training started from."""

import numpy as np
import pytest
import torch

from aebook.experiments import atomic as at
from aebook.experiments import disks as dk
from aebook.experiments import mnist_symmetry as ms
from aebook.experiments import ood_geometry as og
from aebook.experiments import pose_priors as pp
from aebook.experiments import vector_fields as vf
from aebook.models.disk_ae import DiskAutoencoder
from aebook.train import TrainConfig, train
from aebook.training.lifecycle import untrained


def test_the_untrained_control_is_the_start_of_training_even_for_a_network_changed_after_construction(tmp_path):
    model = dk.without_encoder_biases(DiskAutoencoder(size=16, depths=(8, 4, 4)))
    data = torch.rand(32, 16, 16)
    run = train(model, data, TrainConfig(steps=3, batch_size=8, seed=5), snapshot_steps=[0], cache=False,
                progress=False)
    start = untrained(run.model, 5)
    assert all(conv.bias is None for conv in start.encoder_convs)  # the change made after construction is kept
    assert not start.training and next(start.parameters()).device.type == "cpu"
    for name, value in start.state_dict().items():
        assert torch.equal(value, run.snapshots[0][name]), name  # the weights step 0 had
    moved = [n for n, v in run.model.state_dict().items() if not torch.equal(v.cpu(), run.snapshots[0][n])]
    assert moved  # training changed the original; the copy left it alone


def _sweep(mse: list[float], iou: list[float], r_hat: list[float], codes: list[float]) -> dk.RadiusSweep:
    n = len(mse)
    return dk.RadiusSweep(np.zeros(n), np.zeros((n, 4, 4)), np.zeros((n, 4, 4)), np.array(codes)[:, None],
                          np.array(mse), np.array(iou), np.array(r_hat))


def test_disks05_reads_the_hole_against_the_seen_radii_and_the_control_band_against_the_rest():
    r = np.array([5.0, 12.0, 14.0, 21.0, 23.0])  # hole 11-18 holds 12 and 14, the band 20-27 holds 21 and 23
    d100 = _sweep([1, 8, 8, 2, 2], [0.9] * 5, r, [0] * 5)
    d1 = _sweep([1, 2, 2, 1, 1], [0.95, 0.5, 0.5, 0.8, 0.9], r, [0] * 5)
    F, C = dk.dcgan_figures({"DCGAN d=100": d100, "DCGAN d=1": d1}, r, (11.0, 18.0), (20.0, 27.0), [100, 1])
    assert F["dcgan-d100-hole"][dk.HOLE_RATIO] == pytest.approx(8 / ((1 + 2 + 2) / 3))
    assert C["dcgan-d100-hole"][dk.HOLE_RATIO] == pytest.approx(2.0)  # band 2 against the rest (radius 5) 1
    assert F["dcgan-d1-better"][dk.HOLE_100_1] == pytest.approx(4.0)
    assert F["dcgan-d1-better"][dk.IOU_OUTSIDE] == pytest.approx((0.95 + 0.8 + 0.9) / 3)
    assert C["dcgan-d1-better"] == {dk.HOLE_100_1: pytest.approx(2.0), dk.OUTSIDE_100_1: pytest.approx(1.0)}
    F1, _ = dk.dcgan_figures({"DCGAN d=1": d1}, r, (11.0, 18.0), (20.0, 27.0), [1])
    assert "dcgan-d1-better" not in F1  # the comparison needs both code sizes


def test_disks03_reads_the_code_sign_beyond_the_seen_radii_and_the_hole_against_the_seen_sizes():
    seen, above = np.array([1, 1, 0, 0], bool), np.array([0, 0, 1, 1], bool)
    assert dk.other_sign_share(_sweep([0] * 4, [0] * 4, [0] * 4, [1, 2, -1, -2]), seen, above) == 1.0
    assert dk.other_sign_share(_sweep([0] * 4, [0] * 4, [0] * 4, [1, 2, 1, -2]), seen, above) == 0.5
    flat = np.zeros((4, 16, 16), np.float32)
    flat[:, 6:10, 6:10] = 1.0  # the same small square at every radius: its profile stops 3 pixels out
    wide = np.zeros((4, 16, 16), np.float32)
    wide[:, 2:14, 2:14] = 1.0  # a wide one reaches 8 pixels out
    small, large = (dk.RadiusSweep(np.arange(4.0), x, x, np.ones((4, 1)), np.zeros(4), np.ones(4), np.arange(4.0))
                    for x in (flat, wide))
    assert dk.profile_energy_beyond(small, np.ones(4, bool), 4.0, 16) == 0.0
    assert dk.profile_energy_beyond(large, np.ones(4, bool), 4.0, 16) > 0.3


def test_pose_prior_z_scores_are_binomial():
    assert pp.share_z(0.5, 0.5, 100) == 0.0
    assert pp.share_z(0.6, 0.5, 100) == pytest.approx(0.1 / np.sqrt((0.24 + 0.25) / 100))
    assert pp.excess_z(0.05, 2000) == 0.0 and pp.excess_z(0.10, 2000) > 10
    assert pp.rank_gap("TPS", 2) == "TPS: z of full-rank − rank-2 extreme share"


def test_ood_family_labels_follow_the_latent_sizes_and_the_seed_row_needs_two_seeds():
    sizes = [2, 4, 12, 20]
    ratios = {0: np.array([3.0, 2.0, 0.4, 0.3]), 1: np.array([2.0, 2.0, 0.6, 0.5])}
    control = {"grouped_sameness": [1.0, 1.0, 0.9, 0.8], "sameness": [1.0, 1.0, 1.0, 0.95],
               "novelty": [1.1, 1.0, 1.0, 1.2], "across_d": 1.1}
    F, C = og.family_figures(ratios, ratios, ratios, 2.5, None, control, sizes, [0, 1])
    assert og.grouped_label(sizes) in F["one-character"] and og.grouped_label(sizes).endswith("d ≥ 12")
    assert F["one-character"][og.grouped_label(sizes)] == pytest.approx((0.4 + 0.6) / 2)  # largest from d = 12, mean
    assert C["one-character"][og.grouped_label(sizes)] == pytest.approx(0.9)
    assert F["digits-at-low-d"] == {og.novelty_label(2): pytest.approx(2.5)}
    assert "unstable-across-seeds" not in F
    F2, _ = og.family_figures(ratios, ratios, ratios, 2.5, 3.0, control, sizes, [0, 1])
    assert F2["unstable-across-seeds"] == {og.ACROSS_SEEDS: 3.0}


def test_atomic_figures_carry_the_bottleneck_figure_for_the_precondition_but_not_into_the_control():
    F, C = at.mnist_figures((0.2, 0.9), (0.3, 0.7), (0.6, 0.3), size=16, k=4, d0=3)
    assert at.BOTTLENECK in F["fig1-strokes"] and at.BOTTLENECK not in C["fig1-strokes"]
    assert F["fig2-one-stroke-at-a-time"][at.ALL_AT_ONCE] == 0.25
    assert (F["fig1-autoencoding"][at.RELATIVE_MSE], C["fig1-autoencoding"][at.RELATIVE_MSE]) == (0.2, 0.9)


def test_deeper_figures_compare_the_last_snapshot_with_the_first():
    sym = {"one hidden layer": [0.7, 0.95], "two hidden layers": [0.7, 0.8]}
    F, C = ms.deeper_figures(sym, [0.7, 0.71], [0.9, 0.97], [0.7, 0.71], [2, 20])
    assert F["fig2-desire"][ms.DEEPER_RISE] == pytest.approx(0.1)
    assert F["fig2-harder"][ms.DEPTH_GAP] == pytest.approx(0.15)
    assert C["beyond-ood-family"] == {ms.family_symmetry_label(20): 0.71}


def test_vector_field_figures_take_the_worst_run_and_compare_relu_with_sigmoid():
    from aebook.data.planar import planar_points
    from aebook.experiments.conservative import train_planar

    runs = {("line", act): train_planar("line", act, hidden=8, n_points=64, steps=6, batch_size=16, seed=0,
                                        snapshot_steps=[0, 6], device="cpu") for act in ("relu", "sigmoid")}
    curls = {("line", "relu"): [1.0, 0.2], ("line", "sigmoid"): [1.0, 0.6]}
    change = {("line", "relu"): [1.0, 0.1, 0.0], ("line", "sigmoid"): [1.0, 0.5, 0.0]}
    share = {("line", "relu"): (0.02, 0.01), ("line", "sigmoid"): (0.02, 0.03)}
    F = vf.vector_field_figures(runs, curls, change, share, {"line": planar_points("line", 64, 0.05, 0)}, [0, 6],
                                ["line"], 1)
    assert F["curl-falls"][vf.CURL_RATIO] == pytest.approx(0.6)  # the largest ratio over the runs
    assert np.isfinite(F["curl-falls"][vf.ANTISYMMETRIC_RATIO]) and F["curl-falls"][vf.ANTISYMMETRIC_RATIO] > 0
    assert F["relu-faster"][vf.RELU_CLOSER] == 1.0
    assert F["closer-to-conservative"][vf.SHARE_FELL] == 0.5
