"""The untied autoencoders of paper 003 beyond the plain MLP: the authors' initialisation, and a deeper encoder with
one linear decoder map."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from aebook.models.mlp import ACTIVATIONS, MLPAutoencoder


def authors_init_bound(n_in: int, n_out: int) -> float:
    """Half-width of the authors' (Theano) uniform initialisation of a weight matrix: 4·sqrt(6 / (n_in + n_out))."""
    return 4.0 * (6.0 / (n_in + n_out)) ** 0.5


def _authors_reset(model: nn.Module) -> None:
    """Every Linear weight ~ U(±4·sqrt(6/(fan_in + fan_out))), every bias 0, as in the authors' ``AutoEncoder``."""
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                bound = authors_init_bound(layer.in_features, layer.out_features)
                layer.weight.uniform_(-bound, bound)
                layer.bias.zero_()


class AuthorsInitAutoencoder(MLPAutoencoder):
    """The one-hidden-layer untied autoencoder, initialised as in the authors' Theano code (see ``_authors_reset``):
    filter norms of about 4.4 for 784-500, so a √10 weight-length cap binds from the first step."""

    def after_reset(self) -> None:
        """Replace PyTorch's default initialisation by the authors'."""
        _authors_reset(self)


class LinearDecoderAutoencoder(nn.Module):
    """x → σ(W₁x + b₁) → σ(W₂h₁ + b₂) → R·h₂ + c: every hidden layer in the encoder and one linear decoder map, as
    in the authors' two-hidden-layer analysis (``sym_analysis2``); ``hidden=(500, 250)`` is 784-500-250-784."""

    def __init__(self, in_dim: int, hidden: Sequence[int] = (500, 250), activation: str = "sigmoid") -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}")
        self.in_dim, self.hidden, self.activation = in_dim, tuple(hidden), activation
        sizes = [in_dim, *hidden]
        enc: list[nn.Module] = []
        for a, b in zip(sizes, sizes[1:]):
            enc += [nn.Linear(a, b), ACTIVATIONS[activation]()]
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(nn.Linear(sizes[-1], in_dim))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs (n, in_dim) to the last hidden layer (n, hidden[-1])."""
        return self.encoder(x.flatten(1))

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        """The linear decoder R·h + c."""
        return self.decoder(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction r(x)."""
        return self.decode(self.encode(x))
