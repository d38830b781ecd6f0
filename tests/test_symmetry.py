"""Closed-form Jacobians and symmetry scores equal the autograd ones."""

import pytest
import torch

from aebook.analysis.jacobian import jacobians, symmetry_score
from aebook.analysis.symmetry import mlp_jacobian, one_hidden_symmetry
from aebook.models.mlp import MLPAutoencoder


@pytest.mark.parametrize("hidden, act, out", [((7,), "sigmoid", None), ((9, 4), "relu", "tanh"), ((6,), "tanh", None)])
def test_closed_form_jacobian_equals_autograd(hidden, act, out):
    torch.manual_seed(0)
    model = MLPAutoencoder(5, hidden, act, out).double().eval()
    x = torch.randn(6, 5, dtype=torch.float64)
    torch.testing.assert_close(mlp_jacobian(model, x), jacobians(model, x))


@pytest.mark.parametrize("act", ["sigmoid", "relu"])
def test_one_hidden_symmetry_equals_the_score_of_the_full_jacobian(act):
    torch.manual_seed(1)
    model = MLPAutoencoder(8, (11,), act).double().eval()
    x = torch.randn(5, 8, dtype=torch.float64)
    torch.testing.assert_close(one_hidden_symmetry(model, x), symmetry_score(jacobians(model, x)))
    tied = MLPAutoencoder(8, (11,), act).double().eval()
    with torch.no_grad():
        tied.decoder[0].weight.copy_(tied.encoder[0].weight.T)
    torch.testing.assert_close(one_hidden_symmetry(tied, x), torch.ones(5, dtype=torch.float64))
    with pytest.raises(ValueError, match="exactly"):
        one_hidden_symmetry(MLPAutoencoder(8, (4, 3), act), x.float())
