"""Regularisers of paper 000 (§3.2.4) as training callbacks, and a logger of the code's amplitude."""

from __future__ import annotations

from collections.abc import Sequence

import torch

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
