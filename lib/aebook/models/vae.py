"""Variational autoencoders of paper 004 (sections II–V, Appendix A): the MLP VAE, the T-VAE (pose u warps the decoded
image, with a choice of prior on u) and the DTVAE (the input is un-warped, encoded, decoded and warped back).

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

from aebook.geometry import affine_from_offsets, affine_from_pose, invert_affine, warp
from aebook.models.tps import ThinPlateSpline

EPS = 1e-6


def _mlp(sizes: Sequence[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


#: Number of pose parameters of each transform: six affine cells, the five interpretable parameters
#: (ψ, log Sx, log Sy, Tx, Ty) of section V.iii, or two offsets for each of the 3 × 3 thin-plate control points.
POSES = {"affine": 6, "interpretable": 5, "tps": 18}
#: Priors on the pose (section V.iii): none (u a deterministic function of x, KL zero), normal with fitted mean and
#: diagonal variance, normal with the mean fixed at the identity, or full covariance through u' = W v + b, v ~ N(0, I).
PRIORS = ("none", "normal", "normal-identity", "full")


class VAE(nn.Module):
    """x (n, 1, 28, 28) → q(z|x) = N(μ, σ²) → Bernoulli probabilities p(x|z), with MLPs of ``hidden`` ReLU units."""

    pose_dim = 0

    def __init__(self, z_dim: int = 8, hidden: Sequence[int] = (256, 256), side: int = 28,
                 sigma_floor: float = EPS) -> None:
        super().__init__()
        if not isinstance(z_dim, int) or z_dim < 1:
            raise ValueError(f"z_dim must be a positive integer, got {z_dim!r}")
        self.z_dim, self.hidden, self.side, self.sigma_floor = z_dim, tuple(hidden), side, sigma_floor
        d = side * side
        self.encoder = _mlp([d, *hidden, 2 * z_dim])
        self.decoder = _mlp([z_dim, *hidden[::-1], d])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """μ and log σ of q(z|x), σ floored at ``sigma_floor``."""
        mu, log_sigma = self.encoder(x.flatten(1)).chunk(2, dim=1)
        return mu, log_sigma.clamp_min(math.log(self.sigma_floor))

    def image(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's probabilities as images (n, 1, side, side), clipped to [1e-6, 1 − 1e-6]: before any warp."""
        return torch.sigmoid(self.decoder(z)).view(-1, 1, self.side, self.side).clamp(EPS, 1 - EPS)

    def decode(self, z: torch.Tensor, pose: torch.Tensor | None = None) -> torch.Tensor:
        """Bernoulli probabilities p(x|z) as images (a VAE has no pose: ``pose`` is ignored)."""
        return self.image(z)

    def pose_mean(self) -> torch.Tensor | None:
        """The pose of the last encoded batch (its posterior mean); None for a model without a pose."""
        return None

    def sample_pose(self) -> torch.Tensor | None:
        """A draw of the pose of the last encoded batch from q(u|x); None for a model without a pose."""
        return None

    def pose_kl(self) -> torch.Tensor | float:
        """KL(q(u|x) ‖ p(u)) for the last encoded batch (0 where the pose is deterministic or absent)."""
        return 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The mean reconstruction: decode μ(x) at the pose's posterior mean."""
        return self.decode(self.encode(x)[0])


def bernoulli_log_likelihood(x: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """Σ_pixels x log p + (1 − x) log(1 − p), one value per image."""
    return (x * probs.log() + (1 - x) * (1 - probs).log()).flatten(1).sum(1)


def gaussian_kl(mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) per row."""
    return 0.5 * (mu**2 + (2 * log_sigma).exp() - 1 - 2 * log_sigma).sum(1)


def gaussian_kl_to(mu: torch.Tensor, log_sigma: torch.Tensor, nu: torch.Tensor, log_tau: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(ν, τ²)) per row, diagonal covariances (the thesis's eq. 7)."""
    return 0.5 * ((mu - nu) ** 2 / (2 * log_tau).exp() + (2 * (log_sigma - log_tau)).exp() - 1
                  - 2 * (log_sigma - log_tau)).sum(1)


def elbo(model: VAE, x: torch.Tensor, samples: int = 1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per image: the ELBO, its likelihood term E_q[log p(x|z, u)] (``samples`` draws of z and u) and the KL of
    z and u to their priors (eq. 9)."""
    mu, log_sigma = model.encode(x)
    kl = gaussian_kl(mu, log_sigma) + model.pose_kl()
    like = torch.stack([
        bernoulli_log_likelihood(x, model.decode(mu + log_sigma.exp() * torch.randn_like(mu), model.sample_pose()))
        for _ in range(samples)
    ]).mean(0)
    return like - kl, like, kl


def negative_elbo(model: VAE, batch: torch.Tensor) -> torch.Tensor:
    """Loss for :func:`aebook.train.train`: the mean negative ELBO of a batch (one sample of z per image)."""
    return -elbo(model, batch)[0].mean()


@torch.no_grad()
def log_marginal(model: VAE, x: torch.Tensor, samples: int = 500) -> torch.Tensor:
    """Importance-sampled log p(x) with q(z|x) as proposal: log mean_k p(x, z_k) / q(z_k|x), per image (section VI).
    Only for a deterministic pose (VAE, T-VAE without prior, DTVAE), where p(x) is p(x | u(x))."""
    if getattr(model, "prior", "none") != "none":
        raise ValueError("log_marginal integrates over z only: use a model whose pose is deterministic (prior 'none')")
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
    """T-VAE: the encoder also gives a pose u, and the decoder's image y' is warped by the transform of u before the
    likelihood. ``pose``: 'affine' (six cells around the identity), 'interpretable' (ψ, log Sx, log Sy, Tx, Ty) or
    'tps' (3 × 3 thin-plate control points); ``prior`` one of :data:`PRIORS`; ``pose_rank`` the size of v for the
    'full' prior (default: the number of pose parameters). ``init='identity'`` starts every pose at the identity
    (the pose outputs' weights zeroed); 'random' keeps PyTorch's default initialisation."""

    def __init__(self, z_dim: int = 8, pose: str = "affine", prior: str = "none", pose_rank: int | None = None,
                 hidden: Sequence[int] = (256, 256), side: int = 28, sigma_floor: float = EPS,
                 init: str = "identity", pose_scale: float = 0.1) -> None:
        super().__init__(z_dim, hidden, side, sigma_floor)
        if pose not in POSES:
            raise ValueError(f"unknown pose {pose!r}: use one of {', '.join(POSES)}")
        if prior not in PRIORS:
            raise ValueError(f"unknown prior {prior!r}: use one of {', '.join(PRIORS)}")
        if init not in ("identity", "random"):
            raise ValueError(f"unknown init {init!r}: use 'identity' or 'random'")
        self.pose, self.prior, self.init, self.pose_scale = pose, prior, init, pose_scale
        self.pose_dim = POSES[pose]
        if pose_rank is not None and prior != "full":
            raise ValueError("pose_rank is the size of v in the 'full' prior; leave it out for other priors")
        self.pose_rank = (pose_rank or self.pose_dim) if prior == "full" else None
        if self.pose_rank is not None and not 1 <= self.pose_rank <= self.pose_dim:
            raise ValueError(f"pose_rank must be in 1…{self.pose_dim}, got {pose_rank!r}")
        latent = self.pose_rank or self.pose_dim
        outputs = self.pose_dim if prior == "none" else 2 * latent
        self.encoder = _mlp([side * side, *hidden, 2 * z_dim + outputs])
        self.tps = ThinPlateSpline(side) if pose == "tps" else None
        if prior in ("normal", "normal-identity"):  # p(u) = N(ν, diag τ²), τ fitted, ν fitted or fixed at the identity
            nu = torch.zeros(self.pose_dim)
            self.prior_mean = nn.Parameter(nu) if prior == "normal" else nn.Buffer(nu)
            self.prior_log_scale = nn.Parameter(torch.zeros(self.pose_dim))
        if prior == "full":  # u' = W v + b with v ~ N(0, I): p(u') = N(b, W Wᵀ) of rank pose_rank
            self.pose_map = nn.Linear(latent, self.pose_dim)
        self.after_reset()

    @torch.no_grad()
    def after_reset(self) -> None:
        """Initial pose values (run again by :func:`aebook.train.train` after it resets the layers): with
        ``init='identity'`` every posterior-mean pose starts at the identity; posterior and prior spreads of the pose
        start at ``pose_scale``; the 'full' prior's W at that scale and b at the identity."""
        latent = self.pose_rank or self.pose_dim
        log_scale = math.log(self.pose_scale)
        weight, bias = self.encoder[-1].weight[2 * self.z_dim:], self.encoder[-1].bias[2 * self.z_dim:]
        if self.init == "identity":
            weight[:latent].zero_()
            bias[:latent].zero_()
        if self.prior in ("normal", "normal-identity"):
            bias[latent:].fill_(log_scale)
            self.prior_mean.zero_()
            self.prior_log_scale.fill_(log_scale)
        if self.prior == "full":
            self.pose_map.weight.normal_(0.0, self.pose_scale / math.sqrt(latent))
            self.pose_map.bias.zero_()

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """μ and log σ of q(z|x); the pose's posterior is kept for the next decode, ``sample_pose`` and ``pose_kl``."""
        out = self.encoder(x.flatten(1))
        mu, log_sigma, self._pose_out = out[:, : self.z_dim], out[:, self.z_dim : 2 * self.z_dim], out[:, 2 * self.z_dim :]
        return mu, log_sigma.clamp_min(math.log(self.sigma_floor))

    def _pose_posterior(self) -> tuple[torch.Tensor, torch.Tensor]:
        latent = self.pose_rank or self.pose_dim
        mu, log_sigma = self._pose_out[:, :latent], self._pose_out[:, latent:]
        return mu, log_sigma.clamp_min(math.log(self.sigma_floor))

    def _to_pose(self, v: torch.Tensor) -> torch.Tensor:
        return self.pose_map(v) if self.prior == "full" else v

    def pose_mean(self) -> torch.Tensor:
        """The pose parameters of the last encoded batch at the posterior mean (n, pose_dim)."""
        return self._pose_out if self.prior == "none" else self._to_pose(self._pose_posterior()[0])

    def sample_pose(self) -> torch.Tensor:
        """A draw from q(u|x) for the last encoded batch (the posterior mean when the pose is deterministic)."""
        if self.prior == "none":
            return self._pose_out
        mu, log_sigma = self._pose_posterior()
        return self._to_pose(mu + log_sigma.exp() * torch.randn_like(mu))

    def pose_kl(self) -> torch.Tensor | float:
        """KL(q(u|x) ‖ p(u)) per image of the last encoded batch (eq. 7; 0 without a prior)."""
        if self.prior == "none":
            return 0.0
        mu, log_sigma = self._pose_posterior()
        if self.prior == "full":
            return gaussian_kl(mu, log_sigma)
        return gaussian_kl_to(mu, log_sigma, self.prior_mean, self.prior_log_scale)

    def prior_pose(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` poses drawn from p(u) (there is none to draw from when the prior is 'none')."""
        if self.prior == "none":
            raise ValueError("this T-VAE has no prior on the pose (prior 'none'): use an observed pose instead")
        latent = self.pose_rank or self.pose_dim
        eps = torch.randn(n, latent, generator=generator).to(self.encoder[0].weight.device)
        if self.prior == "full":
            return self.pose_map(eps)
        return self.prior_mean + self.prior_log_scale.exp() * eps

    def warp_pose(self, images: torch.Tensor, pose: torch.Tensor) -> torch.Tensor:
        """Warp images (n, 1, side, side) by poses (n, pose_dim)."""
        if self.tps is not None:
            return self.tps(images, pose)
        theta = affine_from_offsets(pose) if self.pose == "affine" else affine_from_pose(pose)
        return warp(images, theta)

    def decode(self, z: torch.Tensor, pose: torch.Tensor | None = None) -> torch.Tensor:
        """Warp the decoder's image y'(z) by ``pose`` (default: the posterior-mean pose of the last encoded batch)."""
        pose = self.pose_mean() if pose is None else pose
        return self.warp_pose(self.image(z), pose).clamp(EPS, 1 - EPS)


class DeepTransformerVAE(VAE):
    """DTVAE: a localisation network (one dense layer of 128 units) estimates the pose (six affine cells), the input
    is un-warped, the VAE reconstructs it, and the reconstruction is warped back with the same pose."""

    pose_dim = 6

    def __init__(self, z_dim: int = 8, hidden: Sequence[int] = (256, 256), side: int = 28, loc_hidden: int = 128,
                 sigma_floor: float = EPS) -> None:
        super().__init__(z_dim, hidden, side, sigma_floor)
        self.loc_hidden = loc_hidden
        self.localiser = _mlp([side * side, loc_hidden, 6])
        self.after_reset()

    @torch.no_grad()
    def after_reset(self) -> None:
        """Start the localiser at the identity pose (run again by :func:`aebook.train.train` after its reset)."""
        self.localiser[-1].weight.zero_()
        self.localiser[-1].bias.zero_()

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Estimate the pose, un-warp the input with it, and encode the upright image."""
        self._pose = self.localiser(x.flatten(1))
        return super().encode(self.unwarp(x, self._pose))

    def unwarp(self, x: torch.Tensor, pose: torch.Tensor) -> torch.Tensor:
        """The input brought to the reference pose: y = warp by the inverse of the pose's affine map."""
        return warp(x.view(-1, 1, self.side, self.side), invert_affine(affine_from_offsets(pose)))

    def pose_mean(self) -> torch.Tensor:
        """The localiser's pose for the last encoded batch (deterministic)."""
        return self._pose

    def sample_pose(self) -> torch.Tensor:
        """The localiser's pose (deterministic)."""
        return self._pose

    def warp_pose(self, images: torch.Tensor, pose: torch.Tensor) -> torch.Tensor:
        """Warp images by poses given as six affine cells."""
        return warp(images, affine_from_offsets(pose))

    def decode(self, z: torch.Tensor, pose: torch.Tensor | None = None) -> torch.Tensor:
        """Decode upright, then warp back with ``pose`` (default: the pose of the last encoded batch)."""
        pose = self._pose if pose is None else pose
        return self.warp_pose(self.image(z), pose).clamp(EPS, 1 - EPS)


class FarPoseTransformerVAE(TransformerVAE):
    """An affine T-VAE (no prior on u) whose pose outputs start far from the identity: PyTorch's default weights
    and a bias set to a random pose (turned by 30° to 90° either way, scaled by e^±0.4, shifted by up to ±0.25), so
    every digit starts in one randomly chosen wrong pose. The 'random' arm of Fig. 12: with the six cells as offsets
    from the identity, PyTorch's default initialisation alone still starts within ~0.05 of the identity."""

    def __init__(self, z_dim: int = 8, far: float = 1.0) -> None:
        self.far = far
        super().__init__(z_dim, "affine", "none", init="random")

    @torch.no_grad()
    def after_reset(self) -> None:
        """Default weights, and the pose bias at a random affine map drawn from torch's seeded global generator."""
        super().after_reset()
        r = torch.rand(6)
        psi = self.far * math.radians(30 + 60 * float(r[0])) * (1 if r[1] < 0.5 else -1)
        sx, sy = (self.far * 0.4 * (2 * r[2:4] - 1)).exp().tolist()
        tx, ty = (self.far * 0.25 * (2 * r[4:6] - 1)).tolist()
        theta = affine_from_pose(torch.tensor([[psi, math.log(sx), math.log(sy), tx, ty]]))[0]
        identity = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        self.encoder[-1].bias[2 * self.z_dim:].copy_((theta - identity).flatten())
