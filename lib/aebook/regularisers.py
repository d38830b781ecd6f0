"""Regularisers as training callbacks (paper 000 §3.2.4; the contractive penalty of paper 003), the weight-length
constraint of paper 003, and a logger of the code's amplitude."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from aebook.analysis.activations import derivative
from aebook.train import Callback, StepContext

PARTS = ("encoder", "decoder")


def locality(lam: float, seed: int = 0) -> Callback:
    """Type 1: λ·mean((‖x − x'‖² − ‖E(x) − E(x')‖²)²), x' a random other element of the batch."""

    def penalty(ctx: StepContext) -> torch.Tensor:
        x = ctx.batch
        g = torch.Generator().manual_seed(seed * 7_919 + ctx.step)
        shift = int(torch.randint(1, len(x), (1,), generator=g)) if len(x) > 1 else 0
        perm = torch.roll(torch.arange(len(x)), shift)  # a random neighbour, never the element itself
        z = ctx.model.encode(x).flatten(1)
        dx = ((x - x[perm]) ** 2).flatten(1).sum(dim=1)
        dz = ((z - z[perm]) ** 2).sum(dim=1)
        value = ((dx - dz) ** 2).mean()
        ctx.logs["locality"] = float(value.detach())
        return lam * value

    return penalty


def weight_l2(lam: float, parts: Sequence[str] = PARTS) -> Callback:
    """Types 2 and 3: λ·Σ‖w‖² over the convolution weights (not the biases) of the named parts of the model.

    ``parts=("encoder", "decoder")`` is type 2, ``parts=("encoder",)`` type 3. A parameter belongs to a part when
    its name starts with the part's name (``encoder_convs.0.weight`` belongs to ``encoder``).
    """
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown model part(s) {sorted(unknown)}: use {PARTS}")

    def penalty(ctx: StepContext) -> torch.Tensor:
        weights = [
            p for name, p in ctx.model.named_parameters()
            if name.endswith("weight") and any(name.startswith(part) for part in parts)
        ]
        if not weights:
            raise ValueError(f"the model has no weight named after {tuple(parts)}")
        value = sum((w**2).sum() for w in weights)
        ctx.logs["weight_l2"] = float(value.detach())
        return lam * value

    return penalty


def code_amplitude(probe: torch.Tensor) -> Callback:
    """Log the mean |z| of a fixed probe set at every step (under ``history['code_amplitude']``); adds no loss."""

    def log(ctx: StepContext) -> None:
        with torch.no_grad():
            z = ctx.model.encode(probe.to(ctx.batch.device))
        ctx.logs["code_amplitude"] = float(z.abs().mean())
        return None

    return log


def contractive(lam: float) -> Callback:
    """The contractive penalty λ·mean ‖∂h/∂x‖²_F of the first hidden layer h = σ(Wx + b) of an ``MLPAutoencoder``.

    For an elementwise σ, ‖∂h/∂x‖²_F = Σ_j σ'(w_j·x + b_j)² ‖w_j‖²: no Jacobian needs to be formed.
    """

    def penalty(ctx: StepContext) -> torch.Tensor:
        model = ctx.model
        first = model.encoder[0]
        if not isinstance(first, nn.Linear) or model.activation not in ("sigmoid", "relu", "tanh"):
            raise ValueError("the contractive penalty needs an MLPAutoencoder with a sigmoid, ReLU or tanh layer")
        pre = first(ctx.batch.flatten(1))
        value = (derivative(model.activation, pre) ** 2 * (first.weight**2).sum(dim=1)).sum(dim=1).mean()
        ctx.logs["contractive"] = float(value.detach())
        return lam * value

    return penalty


@dataclass(frozen=True)
class WeightLength:
    """Clip every filter to an L2 norm of at most ``max_norm`` after each step (paper 003's weight-length constraint).

    A filter is the weights of one hidden unit: a row of an encoder ``nn.Linear`` weight (what the unit reads) and
    a column of a decoder one (what it writes). Use as ``train(..., constraints=[WeightLength()])``.
    """

    max_norm: float = 10**0.5

    def __call__(self, model: nn.Module) -> None:
        """Rescale, in place, every filter whose norm exceeds ``max_norm``."""
        for part, dim in (("encoder", 1), ("decoder", 0)):
            for layer in getattr(model, part).modules():
                if isinstance(layer, nn.Linear):
                    w = layer.weight
                    norms = w.norm(dim=dim, keepdim=True)
                    w.mul_(torch.clamp(self.max_norm / norms.clamp_min(1e-12), max=1.0))
