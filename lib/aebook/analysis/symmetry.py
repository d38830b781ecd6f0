"""How symmetric ∂r/∂x is for fully connected autoencoders (paper 003), in closed form and in batches.

For r = f_L ∘ … ∘ f_1 with linear layers and elementwise activations, ∂r/∂x is a product of weight matrices and
diagonal activation derivatives; ``mlp_jacobian`` forms it for a batch of points without autograd. For the
one-hidden-layer r(x) = R·σ(Wx + b) + c, J = R·S·W with S = diag σ'(Wx + b), and the symmetry score
sym(J) = sqrt(‖(J + Jᵀ)/2‖²_F / ‖J‖²_F) = sqrt((1 + tr(J²)/‖J‖²_F) / 2) needs only H×H matrices:
‖J‖²_F = Σ_ij s_i s_j (RᵀR)_ij (WWᵀ)_ij and tr(J²) = Σ_ij s_i s_j (WR)_ij (WR)_ji. That is ``one_hidden_symmetry``.
A deeper network with a layer of k units splits there, J = A·B with A = ∂r/∂h (D×k) and B = ∂h/∂x (k×D), and
‖J‖²_F = Σ (AᵀA)∘(BBᵀ), tr(J²) = Σ (BA)∘(BA)ᵀ need only k×k matrices: ``mlp_symmetry`` takes the cheapest of the
three ways (for the ood-geometry family, 784-128-64-32-d-32-64-128-784, the split at d never forms a 784×784 matrix).
"""

from __future__ import annotations

import torch
from torch import nn

from aebook.analysis.activations import LAYER_NAMES, derivative
from aebook.analysis.jacobian import symmetry_score
from aebook.exactmath import exact_sqrt


def _layers(model: nn.Module) -> list[nn.Module]:
    layers = [m for part in (model.encoder, model.decoder) for m in part]
    for m in layers:
        if not isinstance(m, nn.Linear) and type(m) not in LAYER_NAMES:
            raise ValueError(f"mlp_jacobian handles Linear, ReLU, Sigmoid and Tanh layers, not {type(m).__name__}")
    return layers


def _factors(model: nn.Module, x: torch.Tensor) -> list[tuple[bool, torch.Tensor]]:
    """The factors of ∂r/∂x in the order the layers apply them: (True, weight) or (False, slopes (n, width))."""
    h, factors = x.flatten(1), []
    for layer in _layers(model):
        linear = isinstance(layer, nn.Linear)
        factors.append((linear, layer.weight if linear else derivative(LAYER_NAMES[type(layer)], h)))
        h = layer(h)
    return factors


def _compose(factors: list[tuple[bool, torch.Tensor]], n: int, from_output: bool = False) -> torch.Tensor:
    """F_m ··· F_1 for factors F_1 … F_m in the order they apply (as ``_factors`` gives them), for n points.

    Multiplied from F_1 upwards, or from F_m downwards with ``from_output``: the product is the same, the cost is
    not (start at the narrow end). Diagonals at the starting end are folded into the first matrix, never formed.
    """
    prod, diag = None, None
    for is_matrix, f in reversed(factors) if from_output else factors:
        if prod is None and not is_matrix:
            diag = f if diag is None else diag * f
        elif prod is None:
            w = f.expand(n, -1, -1)
            prod = w if diag is None else (diag.unsqueeze(2) * w if from_output else w * diag.unsqueeze(1))
        elif is_matrix:
            prod = prod @ f if from_output else f @ prod
        else:
            prod = prod * f.unsqueeze(1) if from_output else f.unsqueeze(2) * prod
    return torch.diag_embed(diag) if prod is None else prod


@torch.no_grad()
def mlp_jacobian(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """∂r/∂x at each row of ``x`` (n, D) for a model with ``encoder`` and ``decoder`` Sequentials: (n, D, D)."""
    return _compose(_factors(model, x), len(x))


@torch.no_grad()
def one_hidden_symmetry(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """sym(∂r/∂x) at each row of ``x`` for r(x) = R·σ(Wx + b) + c (an ``MLPAutoencoder`` with one hidden layer)."""
    layers = _layers(model)
    if len(layers) != 3 or not isinstance(layers[0], nn.Linear) or not isinstance(layers[2], nn.Linear):
        raise ValueError("one_hidden_symmetry needs exactly Linear, activation, Linear")
    enc, act, dec = layers
    w, r = enc.weight, dec.weight  # H×D, D×H
    s = derivative(LAYER_NAMES[type(act)], enc(x.flatten(1)))  # (n, H)
    gram = (r.T @ r) * (w @ w.T)  # (RᵀR)_ij (WWᵀ)_ij
    wr = w @ r
    cross = wr * wr.T  # (WR)_ij (WR)_ji
    norm2 = ((s @ gram) * s).sum(1)
    trace2 = ((s @ cross) * s).sum(1)
    return exact_sqrt(0.5 * (1 + trace2 / norm2))


@torch.no_grad()
def mlp_symmetry(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """sym(∂r/∂x) at each row of ``x`` for any model ``mlp_jacobian`` takes, by the cheapest of the three ways."""
    layers = _layers(model)
    if len(layers) == 3 and isinstance(layers[0], nn.Linear) and isinstance(layers[2], nn.Linear):
        return one_hidden_symmetry(model, x)
    k, split = min(((layer.out_features, i) for i, layer in enumerate(layers[:-1]) if isinstance(layer, nn.Linear)),
                   default=(x.flatten(1).shape[1], -1))
    if 3 * k >= x.flatten(1).shape[1]:  # about 3k²·D operations a point through the split against k·D² without it
        return symmetry_score(mlp_jacobian(model, x))
    factors = _factors(model, x)
    b = _compose(factors[: split + 1], len(x))  # ∂h/∂x at the narrow layer: (n, k, D)
    a = _compose(factors[split + 1 :], len(x), from_output=True)  # ∂r/∂h: (n, D, k)
    norm2 = ((a.mT @ a) * (b @ b.mT)).sum(dim=(1, 2))
    ba = b @ a
    trace2 = (ba * ba.mT).sum(dim=(1, 2))
    return exact_sqrt(0.5 * (1 + trace2 / norm2))
