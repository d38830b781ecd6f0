"""Closed-form Jacobians and symmetry scores equal the autograd ones."""

import pytest
import torch

from aebook.analysis.jacobian import jacobians, symmetry_score
from aebook.analysis import symmetry
from aebook.analysis.symmetry import mlp_jacobian, mlp_symmetry, one_hidden_symmetry
from aebook.models.mlp import MLPAutoencoder


@pytest.mark.parametrize("hidden, act, out", [((7,), "sigmoid", None), ((9, 4), "relu", "tanh"), ((6,), "tanh", None),
                                             ((3,), "relu", "sigmoid")])
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


@pytest.mark.parametrize("in_dim, hidden, act, linear_code, out, way", [
    (40, (16, 8, 3), "relu", True, "tanh", "split"),  # the ood family's shape: split at the code (3·3 < 40)
    (40, (6, 12), "sigmoid", False, "sigmoid", "split"),  # the narrow layer first; the output slopes go into A
    (12, (8, 5), "tanh", False, None, "full"),  # 3·5 ≥ 12: the full Jacobian is cheaper
    (9, (11,), "relu", False, "tanh", "full"),  # one hidden layer, but an output activation: not the closed form
    (8, (11,), "sigmoid", False, None, "closed form"),
])
def test_mlp_symmetry_equals_the_score_of_the_autograd_jacobian(monkeypatch, in_dim, hidden, act, linear_code, out,
                                                                   way):
    torch.manual_seed(2)
    model = MLPAutoencoder(in_dim, hidden, act, out, linear_code=linear_code).double().eval()
    x = torch.randn(7, in_dim, dtype=torch.float64)
    taken = []  # which way the score went: each way is checked against autograd, not just the default one
    ways = [("one_hidden_symmetry", "closed form", one_hidden_symmetry), ("mlp_jacobian", "full", mlp_jacobian)]
    for name, label, fn in ways:
        monkeypatch.setattr(symmetry, name, lambda m, v, label=label, fn=fn: taken.append(label) or fn(m, v))
    score = mlp_symmetry(model, x)
    assert taken == ([] if way == "split" else [way])
    torch.testing.assert_close(score, symmetry_score(jacobians(model, x)))
    assert ((score > 0.3) & (score < 1)).all()  # a generic untied network: neither symmetric nor antisymmetric

