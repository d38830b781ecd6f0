"""Fully connected autoencoders: untied encoder and decoder weights, a choice of hidden activation."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "leaky_relu": nn.LeakyReLU}


class MLPAutoencoder(nn.Module):
    """``in_dim → hidden… → code → …hidden → in_dim`` with untied weights; the last hidden size is the code.

    With ``hidden=(h,)`` this is the one-hidden-layer untied autoencoder r(x) = R·σ(Wx + b) + c. The output layer
    is linear unless ``out_activation`` names one of ``ACTIVATIONS``; ``linear_code=True`` leaves the code layer
    without activation (a deep autoencoder with a linear bottleneck, as in paper 002).
    """

    def __init__(
        self,
        in_dim: int,
        hidden: Sequence[int] = (1000,),
        activation: str = "relu",
        out_activation: str | None = None,
        linear_code: bool = False,
    ) -> None:
        super().__init__()
        for name in (activation, out_activation):
            if name is not None and name not in ACTIVATIONS:
                raise ValueError(f"unknown activation {name!r}: use one of {', '.join(ACTIVATIONS)}")
        if in_dim < 1 or not hidden or min(hidden) < 1:
            raise ValueError("in_dim and every hidden size must be positive, with at least one hidden layer")
        self.in_dim, self.hidden = in_dim, tuple(hidden)
        self.activation, self.out_activation, self.linear_code = activation, out_activation, linear_code
        sizes = [in_dim, *hidden]
        enc: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
            enc.append(nn.Linear(a, b))
            if not (linear_code and i == len(sizes) - 2):
                enc.append(ACTIVATIONS[activation]())
        self.encoder = nn.Sequential(*enc)
        back = sizes[::-1]
        dec: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(back, back[1:])):
            dec.append(nn.Linear(a, b))
            if i < len(back) - 2:
                dec.append(ACTIVATIONS[activation]())
        if out_activation is not None:
            dec.append(ACTIVATIONS[out_activation]())
        self.decoder = nn.Sequential(*dec)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs (n, in_dim) (or images, flattened) to codes (n, hidden[-1])."""
        return self.encoder(x.flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes (n, hidden[-1]) to reconstructions (n, in_dim)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction r(x), shaped like the flattened input."""
        return self.decode(self.encode(x))
