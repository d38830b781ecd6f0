"""How symmetric ∂r/∂x is for fully connected autoencoders (paper 003), in closed form and in batches.

For r = f_L ∘ … ∘ f_1 with linear layers and elementwise activations, ∂r/∂x is a product of weight matrices and
diagonal activation derivatives; ``mlp_jacobian`` forms it for a batch of points without autograd. For the
one-hidden-layer r(x) = R·σ(Wx + b) + c, J = R·S·W with S = diag σ'(Wx + b), and the symmetry score
sym(J) = sqrt(‖(J + Jᵀ)/2‖²_F / ‖J‖²_F) = sqrt((1 + tr(J²)/‖J‖²_F) / 2) needs only H×H matrices:
‖J‖²_F = Σ_ij s_i s_j (RᵀR)_ij (WWᵀ)_ij and tr(J²) = Σ_ij s_i s_j (WR)_ij (WR)_ji. That is ``one_hidden_symmetry``.
"""

from __future__ import annotations

import torch
from torch import nn

from aebook.analysis.activations import LAYER_NAMES, derivative


def _layers(model: nn.Module) -> list[nn.Module]:
    layers = [m for part in (model.encoder, model.decoder) for m in part]
    for m in layers:
        if not isinstance(m, nn.Linear) and type(m) not in LAYER_NAMES:
            raise ValueError(f"mlp_jacobian handles Linear, ReLU, Sigmoid and Tanh layers, not {type(m).__name__}")
    return layers


@torch.no_grad()
def mlp_jacobian(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """∂r/∂x at each row of ``x`` (n, D) for a model with ``encoder`` and ``decoder`` Sequentials: (n, D, D)."""
    h = x.flatten(1)
    jac = torch.eye(h.shape[1], dtype=h.dtype, device=h.device).expand(len(h), -1, -1)
    for layer in _layers(model):
        if isinstance(layer, nn.Linear):
            jac = layer.weight @ jac
            h = layer(h)
        else:
            jac = derivative(LAYER_NAMES[type(layer)], h).unsqueeze(2) * jac
            h = layer(h)
    return jac


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
    return torch.sqrt(0.5 * (1 + trace2 / norm2))
