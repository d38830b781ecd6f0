"""Recipes for paper 003: untied autoencoders on 2-D data and on MNIST, their fields, curls and symmetry."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from aebook.analysis.jacobian import curl_2d, jacobians
from aebook.data.planar import planar_points
from aebook.device import model_device, resolve_device
from aebook.losses import DenoisingMSE
from aebook.models.mlp import MLPAutoencoder
from aebook.models.untied import AuthorsInitAutoencoder, LinearDecoderAutoencoder
from aebook.regularisers import WeightLength, contractive, contractive_value
from aebook.stacked import train_stacked
from aebook.train import TrainConfig, TrainResult, reconstruction_mse, train


def train_planar(
    shape: str,
    activation: str,
    *,
    hidden: int = 1000,
    n_points: int = 1000,
    noise: float = 0.05,
    corruption: float = 0.1,
    steps: int = 2000,
    batch_size: int = 100,
    lr: float = 1e-3,
    seed: int = 0,
    snapshot_steps: Sequence[int] = (),
    device: str = "auto",
) -> TrainResult:
    """Train a one-hidden-layer untied autoencoder 2-``hidden``-2 on points near a line, circle or spiral.

    With ``corruption`` σ > 0 it is a denoising autoencoder (inputs x + N(0, σ²), target x); with σ = 0 an
    overcomplete autoencoder is free to learn the identity, whose field r(x) − x is zero.
    """
    data = torch.from_numpy(planar_points(shape, n_points, noise, seed))
    config = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, seed=seed, checkpoint_every=max(steps // 4, 1))
    loss = DenoisingMSE(corruption) if corruption > 0 else reconstruction_mse
    return train(MLPAutoencoder(2, (hidden,), activation), data, config, loss_fn=loss, snapshot_steps=snapshot_steps,
                 extra_key={"corruption": corruption}, name=f"{shape}, {activation}", device=device)


def at_snapshot(run: TrainResult, step: int) -> nn.Module:
    """A copy of the run's model with the weights it had after ``step`` steps (one of its snapshot steps)."""
    if step not in run.snapshots:
        raise KeyError(f"no snapshot at step {step}: the run kept {sorted(run.snapshots)}")
    model = copy.deepcopy(run.model).cpu()
    model.load_state_dict(run.snapshots[step])
    return model.eval()


@dataclass
class PlanarField:
    """The field r(x) − x on a grid, the reconstruction error ‖r(x) − x‖ there, and the curl at given points."""

    xs: np.ndarray
    ys: np.ndarray
    u: np.ndarray  # (ny, nx)
    v: np.ndarray
    error: np.ndarray
    curl: np.ndarray  # curl ∂r₂/∂x₁ − ∂r₁/∂x₂ at the nodes


def planar_field(model: nn.Module, lim: float = 1.0, n: int = 33) -> PlanarField:
    """Evaluate the field of a 2-D autoencoder on an n×n grid over [−lim, lim]², with its curl at every node."""
    xs = np.linspace(-lim, lim, n)
    grid = np.stack(np.meshgrid(xs, xs), axis=-1).reshape(-1, 2).astype(np.float32)
    x = torch.from_numpy(grid).to(model_device(model))
    with torch.no_grad():
        field = (model(x) - x).cpu().numpy()
    curl = curl_2d(jacobians(model, x)).detach().cpu().numpy()
    u, v = field[:, 0].reshape(n, n), field[:, 1].reshape(n, n)
    return PlanarField(xs, xs.copy(), u, v, np.hypot(u, v), curl.reshape(n, n))


def mean_abs_curl(model: nn.Module, points: np.ndarray) -> float:
    """Mean |curl r| over the given points (the data: the curl "near the manifold")."""
    x = torch.from_numpy(points).to(model_device(model))
    return float(curl_2d(jacobians(model, x)).detach().abs().mean())


def mean_antisymmetric_share(model: nn.Module, points: np.ndarray) -> float:
    """Mean over the given points of the antisymmetric part's share of the Jacobian, ‖(J − Jᵀ)/2‖_F / ‖J‖_F, in
    [0, 1]: the curl measured against the field's own size, so that a field that merely shrinks does not count as
    more conservative."""
    x = torch.from_numpy(points).to(model_device(model))
    jac = jacobians(model, x).detach()
    anti = curl_2d(jac).abs() / np.sqrt(2.0)
    return float((anti / jac.flatten(1).norm(dim=1).clamp_min(1e-30)).mean())


def relative_change(a: PlanarField, b: PlanarField) -> float:
    """‖field a − field b‖ / ‖field b‖ over the grid."""
    num = np.sqrt(((a.u - b.u) ** 2 + (a.v - b.v) ** 2).sum())
    return float(num / np.sqrt((b.u**2 + b.v**2).sum()))


def _mnist_setup(data: torch.Tensor, activation: str, hidden: Sequence[int], epochs: float, batch_size: int,
                 lr: float, init: str, seed: int, linear_decoder: bool = False) -> tuple[nn.Module, TrainConfig]:
    """The model of ``train_mnist_ae`` (before training) and its training settings."""
    if init not in ("pytorch", "authors"):
        raise ValueError(f"init must be 'pytorch' or 'authors', got {init!r}")
    steps = max(1, int(round(epochs * len(data) / batch_size)))
    config = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, seed=seed, checkpoint_every=max(steps // 4, 1))
    if linear_decoder:
        return LinearDecoderAutoencoder(data.shape[1], tuple(hidden), activation), config
    if init == "authors":
        return AuthorsInitAutoencoder(data.shape[1], tuple(hidden), activation), config
    return MLPAutoencoder(data.shape[1], tuple(hidden), activation), config


def train_mnist_ae(
    data: torch.Tensor,
    activation: str,
    *,
    weight_length: bool = False,
    contractive_weight: float = 0.0,
    hidden: Sequence[int] = (500,),
    epochs: float = 100,
    batch_size: int = 100,
    lr: float = 1e-3,
    max_norm: float = 10**0.5,
    init: str = "pytorch",
    linear_decoder: bool = False,
    seed: int = 0,
    snapshot_steps: Sequence[int] = (),
    device: str = "auto",
) -> TrainResult:
    """Train an untied MLP autoencoder r(x) = R·σ(Wx + b) + c (linear output, as in Proposition 1) on MNIST vectors,
    optionally with the contractive penalty (CAE) and the weight-length constraint.

    ``init="authors"`` initialises as the authors' Theano code (one hidden layer only); ``linear_decoder=True`` puts
    every hidden layer in the encoder and decodes with one linear map (:class:`LinearDecoderAutoencoder`).
    """
    if linear_decoder and (init != "pytorch" or contractive_weight > 0):
        raise ValueError("the linear-decoder model is trained without the authors' init or the CAE penalty")
    model, config = _mnist_setup(data, activation, hidden, epochs, batch_size, lr, init, seed, linear_decoder)
    callbacks = [contractive(contractive_weight)] if contractive_weight > 0 else []
    constraints = [WeightLength(max_norm)] if weight_length else []
    name = ("CAE" if contractive_weight > 0 else "AE") + f" {activation}" + (" + wl" if weight_length else "")
    return train(model, data, config,
                 callbacks=callbacks, constraints=constraints, snapshot_steps=snapshot_steps,
                 extra_key={"contractive": contractive_weight}, name=name, device=device)


def cae_loss(model: nn.Module, batch: torch.Tensor, contractive: torch.Tensor) -> tuple[torch.Tensor, dict]:
    """Reconstruction error plus ``contractive``·mean ‖∂h/∂x‖²_F (a weight of 0 is the plain AE); logs the error."""
    error = reconstruction_mse(model, batch)
    return error + contractive * contractive_value(model, batch), {"loss": error}


def train_mnist_ae_group(
    data: torch.Tensor,
    activation: str,
    members: Sequence[tuple[float, bool]],
    *,
    hidden: Sequence[int] = (500,),
    epochs: float = 100,
    batch_size: int = 100,
    lr: float = 1e-3,
    max_norm: float = 10**0.5,
    init: str = "pytorch",
    seed: int = 0,
    snapshot_steps: Sequence[int] = (),
    device: str = "auto",
    stacked: bool | None = None,
) -> list[TrainResult]:
    """Train one autoencoder per (contractive weight, weight-length constraint) of ``members``, all with one
    activation: each is the model ``train_mnist_ae`` gives with those settings. ``stacked`` (default: on a GPU only)
    trains them together in one stacked run (``aebook.stacked``), equal to the lone runs up to float rounding
    (tests/test_conservative.py holds it to 1e-5); on the CPU one after another is 1.2× faster
    (``bench/stack_or_loop.py``), so there each is ``train_mnist_ae`` in turn."""
    if not (resolve_device(device).type == "cuda" if stacked is None else stacked):
        return [train_mnist_ae(data, activation, weight_length=wl, contractive_weight=lam, hidden=hidden,
                               epochs=epochs, batch_size=batch_size, lr=lr, max_norm=max_norm, init=init, seed=seed,
                               snapshot_steps=snapshot_steps, device=device) for lam, wl in members]
    model, config = _mnist_setup(data, activation, hidden, epochs, batch_size, lr, init, seed)
    return train_stacked(lambda: copy.deepcopy(model), data, [config] * len(members), loss=cae_loss,
                         member_args=[{"contractive": lam, "weight_length": float(wl)} for lam, wl in members],
                         constraint=WeightLength(max_norm).stacked, snapshot_steps=snapshot_steps, device=device)


def filter_norms(model: nn.Module) -> tuple[np.ndarray, np.ndarray]:
    """Norms of the encoder filters (rows of the first W) and decoder filters (columns of the last R)."""
    w = model.encoder[0].weight.detach().cpu()
    r = [m for m in model.decoder if isinstance(m, nn.Linear)][-1].weight.detach().cpu()
    return w.norm(dim=1).numpy(), r.norm(dim=0).numpy()


def share_at_cap(model: nn.Module, max_norm: float, rtol: float = 1e-3) -> float:
    """Share of all encoder and decoder filters whose norm is within ``rtol`` of the weight-length cap (or above it):
    the filters on which the constraint acts."""
    norms = np.concatenate(filter_norms(model))
    return float((norms >= max_norm * (1 - rtol)).mean())


def matched_filter_cosine(model: nn.Module) -> float:
    """Mean cosine between each hidden unit's encoder filter (row of W) and decoder filter (column of R)."""
    w = model.encoder[0].weight.detach()
    r = next(m for m in model.decoder if isinstance(m, nn.Linear)).weight.detach()
    return float(nn.functional.cosine_similarity(w, r.T, dim=1).mean())


def _filters(model: nn.Module) -> tuple[np.ndarray, np.ndarray]:
    """Each hidden unit's encoder filter (row of W) and decoder filter (column of R), as (H, D) float64 arrays."""
    w = model.encoder[0].weight.detach().cpu().double().numpy()
    r = next(m for m in model.decoder if isinstance(m, nn.Linear)).weight.detach().cpu().double().numpy().T
    return w, r


def filter_roughness(filters: np.ndarray, side: int = 28) -> np.ndarray:
    """How rough each filter (n, side²) is as an image: ‖Δf‖² / ‖f‖², Δ the 5-point Laplacian with zero borders (0
    for a constant patch inside the border, about 20 for white noise). A blurred filter has a smaller value."""
    f = filters.reshape(len(filters), side, side)
    padded = np.pad(f, ((0, 0), (1, 1), (1, 1)))
    lap = (padded[:, :-2, 1:-1] + padded[:, 2:, 1:-1] + padded[:, 1:-1, :-2] + padded[:, 1:-1, 2:] - 4 * f)
    energy = (f**2).sum(axis=(1, 2))
    return np.divide((lap**2).sum(axis=(1, 2)), energy, out=np.zeros_like(energy), where=energy > 0)


def gaussian_blur(filters: np.ndarray, sigma: float = 1.0, side: int = 28) -> np.ndarray:
    """Each filter (n, side²) blurred by a Gaussian of ``sigma`` pixels (zero outside the image)."""
    from scipy.ndimage import gaussian_filter

    f = filters.reshape(len(filters), side, side)
    return gaussian_filter(f, sigma=(0, sigma, sigma), mode="constant").reshape(len(filters), -1)


def smoothed_filter_figures(model: nn.Module, sigma: float = 1.0) -> dict[str, float]:
    """Are the decoder filters smoothed copies of the encoder filters? The median over units of the decoder filter's
    roughness over its encoder filter's (below 1: smoother), and how much closer (mean cosine) each decoder filter is
    to its encoder filter once that is blurred by a Gaussian of ``sigma`` pixels than before."""
    w, r = _filters(model)
    cos = lambda a, b: float(np.mean((a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))))
    return {"median roughness, decoder / encoder filter": float(np.median(filter_roughness(r) / filter_roughness(w))),
            "mean cosine gain from blurring the encoder filter": cos(gaussian_blur(w, sigma), r) - cos(w, r)}
