"""The sufficient-condition fits find C and E exactly when the weights satisfy the relations."""

import numpy as np
import pytest

from aebook.analysis.sufficient import sufficient_conditions


def test_decoder_made_of_scaled_encoder_filters_satisfies_condition_two():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((5, 12))  # H = 5 filters over D = 12 inputs
    scales = rng.random(5) + 0.5
    r = w.T * scales  # R = Ŵ E with E = diag(scales)
    sc = sufficient_conditions(w, r)
    assert sc.residual_e < 1e-10
    np.testing.assert_allclose(np.diag(sc.e), scales, rtol=1e-8)


def test_tied_weights_satisfy_both_and_random_ones_neither():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((6, 10))
    tied = sufficient_conditions(w, w.T)
    assert tied.residual_e < 1e-10 and tied.residual_c < 1e-8 and tied.c_asymmetry < 1e-8
    untied = sufficient_conditions(w, rng.standard_normal((10, 6)))
    assert untied.residual_e > 0.5 and untied.residual_e_full <= untied.residual_e + 1e-12
    with pytest.raises(ValueError, match="H×D"):
        sufficient_conditions(w, w)


def test_diagonal_fit_never_does_worse_than_zero():
    # nearly collinear encoder filters (template-like): the diagonal of the full least-squares E overshoots there
    rng = np.random.default_rng(2)
    template = rng.standard_normal(40)
    for trial in range(20):
        w = template + 0.05 * rng.standard_normal((30, 40))  # H = 30 filters over D = 40 inputs
        r = 0.3 * w.T + rng.standard_normal((40, 30))
        sc = sufficient_conditions(w, r)
        assert sc.residual_e <= 1.0 + 1e-12
        assert sc.residual_e_full <= sc.residual_e + 1e-12
        old = np.linalg.norm(r - w.T @ np.diag(np.diag(np.linalg.pinv(w.T) @ r))) / np.linalg.norm(r)
        assert sc.residual_e <= old + 1e-12  # the true diagonal fit is at least as good as the old estimator
    # random matrices of any shape
    for trial in range(20):
        h, d = rng.integers(2, 20, size=2)
        sc = sufficient_conditions(rng.standard_normal((h, d)), rng.standard_normal((d, h)))
        assert 0 <= sc.residual_e <= 1.0 + 1e-12


def test_diagonal_fit_is_the_projection_of_each_decoder_filter_on_its_encoder_filter():
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 9))
    noise = rng.standard_normal((9, 4))
    noise -= w.T * ((w.T * noise).sum(0) / (w.T**2).sum(0))  # decoder noise orthogonal to each own filter
    r = w.T * np.array([2.0, -1.0, 0.5, 3.0]) + noise
    np.testing.assert_allclose(np.diag(sufficient_conditions(w, r).e), [2.0, -1.0, 0.5, 3.0], rtol=1e-10)
