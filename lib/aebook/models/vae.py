"""Variational autoencoders of paper 004 (sections II–IV, Appendix A): MLP VAE, and its spatial-transformer variants.

Gaussian q(z|x) with a N(0, I) prior, Bernoulli likelihood. As in Appendix A: two hidden layers of 256 ReLU
units, the standard deviation of q floored (at 1e-6 by default; the thesis says "log-standard deviation …
clipped to be more than 1e-6", which we read as a floor on σ, the only reading under which σ can be small), and
output probabilities clipped to [1e-6, 1 − 1e-6].
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from aebook.models.spatial import affine_from_offsets, affine_from_pose, invert_affine, warp

EPS = 1e-6


def _mlp(sizes: Sequence[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


class VAE(nn.Module):
    """x (n, 1, 28, 28) → q(z|x) = N(μ, σ²) → Bernoulli probabilities p(x|z), with MLPs of ``hidden`` ReLU units."""

    def __init__(self, z_dim: int = 8, hidden: Sequence[int] = (256, 256), side: int = 28,
                 sigma_floor: float = EPS) -> None:
        super().__init__()
        self.z_dim, self.hidden, self.side, self.sigma_floor = z_dim, tuple(hidden), side, sigma_floor
        d = side * side
        self.encoder = _mlp([d, *hidden, 2 * z_dim])
        self.decoder = _mlp([z_dim, *hidden[::-1], d])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """μ and log σ of q(z|x), σ floored at ``sigma_floor``."""
        mu, log_sigma = self.encoder(x.flatten(1)).chunk(2, dim=1)
        return mu, log_sigma.clamp_min(math.log(self.sigma_floor))

    def image(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's probabilities as images (n, 1, side, side), clipped to [1e-6, 1 − 1e-6]."""
        return torch.sigmoid(self.decoder(z)).view(-1, 1, self.side, self.side).clamp(EPS, 1 - EPS)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli probabilities p(x|z) as images."""
        return self.image(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The mean reconstruction: decode(μ(x))."""
        return self.decode(self.encode(x)[0])


def bernoulli_log_likelihood(x: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """Σ_pixels x log p + (1 − x) log(1 − p), one value per image."""
    return (x * probs.log() + (1 - x) * (1 - probs).log()).flatten(1).sum(1)


def gaussian_kl(mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) per row."""
    return 0.5 * (mu**2 + (2 * log_sigma).exp() - 1 - 2 * log_sigma).sum(1)


def elbo(model: VAE, x: torch.Tensor, samples: int = 1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per image: the ELBO, its likelihood term E_q[log p(x|z)] (``samples`` draws) and KL(q(z|x) ‖ p(z))."""
    mu, log_sigma = model.encode(x)
    kl = gaussian_kl(mu, log_sigma)
    like = torch.stack([
        bernoulli_log_likelihood(x, model.decode(mu + log_sigma.exp() * torch.randn_like(mu)))
        for _ in range(samples)
    ]).mean(0)
    return like - kl, like, kl


def negative_elbo(model: VAE, batch: torch.Tensor) -> torch.Tensor:
    """Loss for :func:`aebook.train.train`: the mean negative ELBO of a batch (one sample of z per image)."""
    return -elbo(model, batch)[0].mean()


@torch.no_grad()
def log_marginal(model: VAE, x: torch.Tensor, samples: int = 500) -> torch.Tensor:
    """Importance-sampled log p(x) with q(z|x) as proposal: log mean_k p(x, z_k) / q(z_k|x), per image (section VI)."""
    mu, log_sigma = model.encode(x)
    sigma = log_sigma.exp()
    terms = []
    for _ in range(samples):
        eps = torch.randn_like(mu)
        z = mu + sigma * eps
        log_q = (-0.5 * eps**2 - log_sigma - 0.5 * math.log(2 * math.pi)).sum(1)
        log_prior = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(1)
        terms.append(bernoulli_log_likelihood(x, model.decode(z)) + log_prior - log_q)
    return torch.logsumexp(torch.stack(terms), dim=0) - math.log(samples)


class TransformerVAE(VAE):
    """T-VAE: the encoder also gives a pose u, deterministic here (the 'no prior' case, KL of u zero); the decoder's
    image y' is warped by the affine map of u before the likelihood. ``pose`` is 'affine' (six free cells around the
    identity) or 'interpretable' (ψ, log Sx, log Sy, Tx, Ty)."""

    def __init__(self, z_dim: int = 8, pose: str = "affine", hidden: Sequence[int] = (256, 256), side: int = 28,
                 sigma_floor: float = EPS) -> None:
        super().__init__(z_dim, hidden, side, sigma_floor)
        if pose not in ("affine", "interpretable"):
            raise ValueError(f"unknown pose {pose!r}: use 'affine' or 'interpretable'")
        self.pose = pose
        self.u_dim = 6 if pose == "affine" else 5
        self.encoder = _mlp([side * side, *hidden, 2 * z_dim + self.u_dim])
        with torch.no_grad():  # start every pose at the identity
            self.encoder[-1].weight[2 * z_dim:].zero_()
            self.encoder[-1].bias[2 * z_dim:].zero_()

    def encode_all(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """μ, log σ of q(z|x), and the pose u."""
        out = self.encoder(x.flatten(1))
        mu, log_sigma, u = out[:, : self.z_dim], out[:, self.z_dim : 2 * self.z_dim], out[:, 2 * self.z_dim :]
        return mu, log_sigma.clamp_min(math.log(self.sigma_floor)), u

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """μ and log σ of q(z|x); the pose is kept for the next decode (see ``forward`` and ``elbo``)."""
        mu, log_sigma, self._pose = self.encode_all(x)
        return mu, log_sigma

    def theta(self, u: torch.Tensor) -> torch.Tensor:
        """Affine matrices (n, 2, 3) of poses u."""
        return affine_from_offsets(u) if self.pose == "affine" else affine_from_pose(u)

    def decode(self, z: torch.Tensor, u: torch.Tensor | None = None) -> torch.Tensor:
        """Warp the decoder's image y'(z) by pose ``u`` (default: the pose of the last encoded batch)."""
        u = self._pose if u is None else u
        return warp(self.image(z), self.theta(u)).clamp(EPS, 1 - EPS)


class DeepTransformerVAE(VAE):
    """DTVAE: a localisation network (one dense layer of 128 units) estimates the pose, the input is un-warped, the
    VAE reconstructs it, and the reconstruction is warped back with the same pose."""

    def __init__(self, z_dim: int = 8, hidden: Sequence[int] = (256, 256), side: int = 28, loc_hidden: int = 128,
                 sigma_floor: float = EPS) -> None:
        super().__init__(z_dim, hidden, side, sigma_floor)
        self.loc_hidden = loc_hidden
        self.localiser = _mlp([side * side, loc_hidden, 6])
        with torch.no_grad():
            self.localiser[-1].weight.zero_()
            self.localiser[-1].bias.zero_()

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Estimate the pose, un-warp the input with it, and encode the upright image."""
        self._theta = affine_from_offsets(self.localiser(x.flatten(1)))
        upright = warp(x.view(-1, 1, self.side, self.side), invert_affine(self._theta))
        return super().encode(upright)

    def decode(self, z: torch.Tensor, theta: torch.Tensor | None = None) -> torch.Tensor:
        """Decode upright, then warp back with the pose of the last encoded batch (or ``theta``)."""
        theta = self._theta if theta is None else theta
        return warp(self.image(z), theta).clamp(EPS, 1 - EPS)
