"""Regularisers as training callbacks (paper 000 §3.2.4; the contractive penalty of paper 003), the weight-length
constraint of paper 003, and a logger of the code's amplitude."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from aebook.analysis.activations import derivative
from aebook.train import Callback, StepContext

PARTS = ("encoder", "decoder")


def locality_pairs(seed: int, step: int, n: int) -> torch.Tensor:
    """The partner of each of ``n`` batch elements at a step: a roll by a shift drawn from (seed, step), so never
    the element itself (unless n = 1)."""
    g = torch.Generator().manual_seed(seed * 7_919 + step)
    shift = int(torch.randint(1, n, (1,), generator=g)) if n > 1 else 0
    return torch.roll(torch.arange(n), shift)


def locality_value(x: torch.Tensor, z: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
    """mean((‖x − x'‖² − ‖z − z'‖²)²) over the batch, x' = x[pairs] and z' = z[pairs] (type 1's ψ, unweighted)."""
    dx = ((x - x[pairs]) ** 2).flatten(1).sum(dim=1)
    dz = ((z - z[pairs]) ** 2).flatten(1).sum(dim=1)
    return ((dx - dz) ** 2).mean()


def locality(lam: float, seed: int = 0) -> Callback:
    """Type 1: λ·mean((‖x − x'‖² − ‖E(x) − E(x')‖²)²), x' a random other element of the batch."""

    def penalty(ctx: StepContext) -> torch.Tensor:
        x = ctx.batch
        pairs = locality_pairs(seed, ctx.step, len(x)).to(x.device)
        value = locality_value(x, ctx.model.encode(x), pairs)
        ctx.logs["locality"] = value.detach()
        return lam * value

    return penalty


def _check_parts(parts: Sequence[str]) -> None:
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown model part(s) {sorted(unknown)}: use {PARTS}")


def conv_weight_sum(model: nn.Module, parts: Sequence[str]) -> torch.Tensor:
    """Σ‖w‖² over the weights (not the biases) of the named parts of the model, in parameter order.

    A parameter belongs to a part when its name starts with the part's name (``encoder_convs.0.weight`` belongs to
    ``encoder``).
    """
    _check_parts(parts)
    weights = [p for name, p in model.named_parameters()
               if name.endswith("weight") and any(name.startswith(part) for part in parts)]
    if not weights:
        raise ValueError(f"the model has no weight named after {tuple(parts)}")
    return sum((w**2).sum() for w in weights)


def weight_l2(lam: float, parts: Sequence[str] = PARTS) -> Callback:
    """Types 2 and 3: λ·Σ‖w‖² over the convolution weights (not the biases) of the named parts of the model.

    ``parts=("encoder", "decoder")`` is type 2, ``parts=("encoder",)`` type 3 (see ``conv_weight_sum``).
    """
    _check_parts(parts)

    def penalty(ctx: StepContext) -> torch.Tensor:
        value = conv_weight_sum(ctx.model, parts)
        ctx.logs["weight_l2"] = value.detach()
        return lam * value

    return penalty


def code_amplitude_of(model: nn.Module, probe: torch.Tensor) -> torch.Tensor:
    """The mean |z| of the codes of a fixed probe set, without gradients."""
    with torch.no_grad():
        return model.encode(probe).abs().mean()


def code_amplitude(probe: torch.Tensor) -> Callback:
    """Log the mean |z| of a fixed probe set at every step (under ``history['code_amplitude']``); adds no loss."""

    def log(ctx: StepContext) -> None:
        ctx.logs["code_amplitude"] = code_amplitude_of(ctx.model, probe.to(ctx.batch.device))
        return None

    return log


def contractive(lam: float) -> Callback:
    """The contractive penalty λ·mean ‖∂h/∂x‖²_F of the first hidden layer h = σ(Wx + b) of an ``MLPAutoencoder``.

    For an elementwise σ, ‖∂h/∂x‖²_F = Σ_j σ'(w_j·x + b_j)² ‖w_j‖²: no Jacobian needs to be formed.
    """

    def penalty(ctx: StepContext) -> torch.Tensor:
        value = contractive_value(ctx.model, ctx.batch)
        ctx.logs["contractive"] = value.detach()
        return lam * value

    return penalty


def contractive_value(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """mean ‖∂h/∂x‖²_F over the batch, h = σ(Wx + b) the first hidden layer of an ``MLPAutoencoder`` (unweighted)."""
    first = model.encoder[0]
    if not isinstance(first, nn.Linear) or model.activation not in ("sigmoid", "relu", "tanh"):
        raise ValueError("the contractive penalty needs an MLPAutoencoder with a sigmoid, ReLU or tanh layer")
    pre = first(x.flatten(1))
    return (derivative(model.activation, pre) ** 2 * (first.weight**2).sum(dim=1)).sum(dim=1).mean()


@dataclass(frozen=True)
class WeightLength:
    """Clip every filter to an L2 norm of at most ``max_norm`` after each step (paper 003's weight-length constraint).

    A filter is the weights of one hidden unit: a row of an encoder ``nn.Linear`` weight (what the unit reads) and
    a column of a decoder one (what it writes). Use as ``train(..., constraints=[WeightLength()])``.
    """

    max_norm: float = 10**0.5

    def __call__(self, model: nn.Module) -> None:
        """Rescale, in place, every filter whose norm exceeds ``max_norm``."""
        for part, dim in FILTER_AXES.items():
            for layer in getattr(model, part).modules():
                if isinstance(layer, nn.Linear):
                    layer.weight.mul_(filter_scale(layer.weight, dim, self.max_norm))

    def stacked(self, params: Mapping[str, torch.Tensor], args: Mapping[str, torch.Tensor]) -> None:
        """The same clip on stacked weights (first axis: the members of ``aebook.stacked.train_stacked``), applied to
        the members whose ``weight_length`` argument is 1. The ``nn.Linear`` weights of the encoder and decoder are
        the parameters ``encoder.<i>.weight`` and ``decoder.<i>.weight`` of two axes per member."""
        active = args["weight_length"] > 0
        for name, w in params.items():
            part = name.split(".")[0]
            if part in FILTER_AXES and name.endswith(".weight") and w.dim() == 3:
                scale = filter_scale(w, FILTER_AXES[part] + 1, self.max_norm)
                w.mul_(torch.where(active.view(-1, 1, 1), scale, torch.ones_like(scale)))


#: The axis of an ``nn.Linear`` weight along which one filter lies: what an encoder unit reads is a row, what a
#: decoder unit writes a column.
FILTER_AXES = {"encoder": 1, "decoder": 0}


def filter_scale(w: torch.Tensor, dim: int, max_norm: float) -> torch.Tensor:
    """The factor (at most 1) that brings each filter of ``w`` (its norm taken along ``dim``) to at most ``max_norm``."""
    return torch.clamp(max_norm / w.norm(dim=dim, keepdim=True).clamp_min(1e-12), max=1.0)
