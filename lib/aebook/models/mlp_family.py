"""A family of MLP autoencoders with different latent sizes, trained together as one batched model (paper 002).

Every member has the layout in_dim → hidden… → d → …hidden → in_dim. The family pads each latent to the largest
size and masks the unused units, so each member computes exactly its own function; the weights carry a leading
model axis, so one forward pass and one optimiser step serve every member. With a summed loss each member's
gradient is its own, and Adam (elementwise) then updates each member as if it were trained alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from aebook.models.mlp import MLPAutoencoder

#: The activations a family may use, by name.
ACTIVATION_FUNCTIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


class MLPFamily(nn.Module):
    """Members ``MLPAutoencoder(in_dim, (*hidden, d), activation, out_activation, linear_code=True)`` for d in ``latent_sizes``."""

    def __init__(
        self,
        latent_sizes: Sequence[int],
        in_dim: int = 784,
        hidden: Sequence[int] = (128, 64, 32),
        activation: str = "relu",
        out_activation: str | None = "tanh",
    ) -> None:
        super().__init__()
        if not latent_sizes or min(latent_sizes) < 1:
            raise ValueError("latent_sizes must be a non-empty list of positive sizes")
        for name in (activation, out_activation):
            if name is not None and name not in ACTIVATION_FUNCTIONS:
                raise ValueError(f"unknown activation {name!r}: use one of {', '.join(ACTIVATION_FUNCTIONS)}")
        self.latent_sizes, self.in_dim, self.hidden = tuple(latent_sizes), in_dim, tuple(hidden)
        self.activation, self.out_activation = activation, out_activation
        d_max = max(latent_sizes)
        self.register_buffer("mask", torch.tensor([[1.0] * d + [0.0] * (d_max - d) for d in latent_sizes]))
        sizes = [in_dim, *hidden, d_max, *hidden[::-1], in_dim]
        m = len(latent_sizes)
        self.weights = nn.ParameterList(nn.Parameter(torch.empty(m, b, a)) for a, b in zip(sizes, sizes[1:]))
        self.biases = nn.ParameterList(nn.Parameter(torch.empty(m, b)) for b in sizes[1:])
        self.n_encoder_layers = len(hidden) + 1
        self.reset_parameters()

    def _block(self, layer: int, d: int) -> tuple[int, int]:
        """Rows and columns of layer ``layer``'s weight that a member of latent size d uses."""
        w = self.weights[layer]
        rows = d if layer == self.n_encoder_layers - 1 else w.shape[1]
        cols = d if layer == self.n_encoder_layers else w.shape[2]
        return rows, cols

    def members(self) -> list[MLPAutoencoder]:
        """Standalone copies of the members, with their own (unpadded) weights."""
        out = []
        for i, d in enumerate(self.latent_sizes):
            member = MLPAutoencoder(self.in_dim, (*self.hidden, d), self.activation, self.out_activation, linear_code=True)
            member = member.to(self.mask.device, self.mask.dtype)  # copy the weights without rounding
            linears = [mod for mod in member.modules() if isinstance(mod, nn.Linear)]
            with torch.no_grad():
                for layer, (lin, w, b) in enumerate(zip(linears, self.weights, self.biases)):
                    rows, cols = self._block(layer, d)
                    lin.weight.copy_(w[i, :rows, :cols])
                    lin.bias.copy_(b[i, :rows])
            out.append(member)
        return out

    def reset_parameters(self) -> None:
        """Initialise each member like a standalone ``nn.Linear`` stack of its own sizes (PyTorch's defaults)."""
        with torch.no_grad():
            for i, d in enumerate(self.latent_sizes):
                for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
                    rows, cols = self._block(layer, d)
                    lin = nn.Linear(cols, rows)
                    w[i].zero_()
                    b[i].zero_()
                    w[i, :rows, :cols] = lin.weight
                    b[i, :rows] = lin.bias

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Codes of every member: (n_models, n, d_max), unused units zero. ``x`` is (n, in_dim) or (n_models, n, in_dim)."""
        h = x.flatten(1).expand(len(self.latent_sizes), -1, -1) if x.dim() != 3 else x
        act = ACTIVATION_FUNCTIONS[self.activation]
        for layer in range(self.n_encoder_layers):
            h = torch.baddbmm(self.biases[layer].unsqueeze(1), h, self.weights[layer].transpose(1, 2))
            if layer < self.n_encoder_layers - 1:
                h = act(h)
        return h * self.mask.unsqueeze(1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstructions (n_models, n, in_dim) from codes (n_models, n, d_max)."""
        h = z * self.mask.unsqueeze(1)
        act = ACTIVATION_FUNCTIONS[self.activation]
        n_layers = len(self.weights)
        for layer in range(self.n_encoder_layers, n_layers):
            h = torch.baddbmm(self.biases[layer].unsqueeze(1), h, self.weights[layer].transpose(1, 2))
            if layer < n_layers - 1:
                h = act(h)
        return ACTIVATION_FUNCTIONS[self.out_activation](h) if self.out_activation else h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Every member's reconstruction of the same batch: (n_models, n, in_dim)."""
        return self.decode(self.encode(x))


def family_mse(model: MLPFamily, batch: torch.Tensor) -> torch.Tensor:
    """Loss for :func:`aebook.train.train`: the sum over members of each member's mean squared error."""
    target = batch.flatten(1)
    return ((model(target) - target) ** 2).mean(dim=(1, 2)).sum()


def member_family(family: MLPFamily, i: int) -> MLPFamily:
    """Member ``i`` alone, as a one-member family of its own latent size (no padding); the global RNG is untouched.

    A function, not a method: the class's source enters the weight cache's keys, and a new method would orphan every
    trained family.
    """
    d = family.latent_sizes[i]
    with torch.random.fork_rng(devices=[]):  # the new family's initial weights are overwritten: draw nothing
        one = MLPFamily([d], family.in_dim, family.hidden, family.activation, family.out_activation)
    one = one.to(family.mask.device, family.mask.dtype)
    with torch.no_grad():
        for layer, (w, b, own_w, own_b) in enumerate(zip(family.weights, family.biases, one.weights, one.biases)):
            rows, cols = family._block(layer, d)
            own_w[0].copy_(w[i, :rows, :cols])
            own_b[0].copy_(b[i, :rows])
    return one
