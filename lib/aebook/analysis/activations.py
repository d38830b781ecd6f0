"""Elementwise activations and their derivatives, by name or by layer type: one table for every closed-form Jacobian."""

from __future__ import annotations

import torch
from torch import nn

#: The activation of each layer type that closed-form Jacobians know.
LAYER_NAMES: dict[type[nn.Module], str] = {nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}


def derivative(name: str | None, pre: torch.Tensor) -> torch.Tensor:
    """Elementwise derivative of the activation ``name`` (None: the identity) at pre-activations ``pre``."""
    if name is None:
        return torch.ones_like(pre)
    if name == "relu":
        return (pre > 0).to(pre.dtype)  # autograd's convention: ReLU'(0) = 0
    if name == "tanh":
        return 1 - torch.tanh(pre) ** 2
    if name == "sigmoid":
        s = torch.sigmoid(pre)
        return s * (1 - s)
    raise ValueError(f"no derivative for activation {name!r}: use relu, tanh or sigmoid")
