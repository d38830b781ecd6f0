"""The curl row's normalised figure: the antisymmetric share of the Jacobian does not move when a field only shrinks."""

import numpy as np
import pytest
import torch
from torch import nn

from aebook.experiments import conservative as cv


def _linear(matrix):
    layer = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(matrix, dtype=torch.float32))
    return layer


def test_the_antisymmetric_share_is_zero_for_a_gradient_one_for_a_rotation_and_blind_to_scale():
    points = np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32)
    assert cv.mean_antisymmetric_share(_linear([[2.0, 1.0], [1.0, 3.0]]), points) == pytest.approx(0.0, abs=1e-7)
    assert cv.mean_antisymmetric_share(_linear([[0.0, -1.0], [1.0, 0.0]]), points) == pytest.approx(1.0)
    mixed = [[1.0, -0.5], [0.5, 1.0]]
    shrunk = [[0.1 * v for v in row] for row in mixed]
    assert cv.mean_antisymmetric_share(_linear(shrunk), points) == pytest.approx(
        cv.mean_antisymmetric_share(_linear(mixed), points), rel=1e-6)
    assert cv.mean_abs_curl(_linear(shrunk), points) == pytest.approx(0.1 * cv.mean_abs_curl(_linear(mixed), points),
                                                                       rel=1e-5)
