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
