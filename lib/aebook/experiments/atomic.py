"""Recipes for paper 001: train atomic and plain autoencoders on spikes and MNIST, and measure what the blocks do."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from aebook.analysis.disentangle import Disentanglement, disentanglement, match_atoms, r2_table
from aebook.data.mnist import load_mnist
from aebook.device import model_device
from aebook.data.spikes import spike_atoms, spike_images, spike_parameters
from aebook.models.atomic import AtomicAutoencoder, PlainAutoencoder
from aebook.train import TrainConfig, TrainResult, train


def mnist_images(size: int, n: int, split: str = "train") -> np.ndarray:
    """MNIST digits as (n, 1, size, size) float32 in [0, 1]: padded from 28 to 32 pixels with zeros, then resized
    bilinearly to ``size`` (×4 for the paper's 128×128; with antialiasing when shrinking)."""
    images = torch.from_numpy(load_mnist(split)[0][:n].astype(np.float32) / 255.0).unsqueeze(1)
    images = nn.functional.pad(images, (2, 2, 2, 2))
    if size != 32:
        images = nn.functional.interpolate(images, size=(size, size), mode="bilinear", align_corners=False,
                                          antialias=size < 32)
    return images.clamp(0, 1).numpy()


def train_images(model: nn.Module, images: np.ndarray, *, steps: int, batch_size: int = 64, lr: float = 5e-4,
                 seed: int = 0, name: str = "autoencoder", device: str = "auto") -> TrainResult:
    """Train an autoencoder on images with the mean squared error (Adam, batch 64: the authors' code)."""
    config = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, seed=seed, checkpoint_every=max(steps // 4, 1))
    return train(model, torch.from_numpy(images), config, name=name, device=device)


@torch.no_grad()
def encode_atoms(model: nn.Module, images: np.ndarray, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray | None]:
    """Codes (n, latent) and, for an atomic model, each block's image (n, k, H, W)."""
    dev = model_device(model)
    codes, atoms = [], []
    for i in range(0, len(images), batch_size):
        z = model.encode(torch.from_numpy(images[i : i + batch_size]).to(dev))
        codes.append(z.cpu().numpy())
        if isinstance(model, AtomicAutoencoder):
            atoms.append(model.atoms(z).cpu().numpy())
    return np.concatenate(codes), (np.concatenate(atoms) if atoms else None)


def spike_disentanglement(model: nn.Module, params: np.ndarray, size: int, sigma: float) -> Disentanglement:
    """R² of every latent coordinate against the amplitude, x and y of the spike it belongs to (k·d0 × 3 table).

    Atomic model: each block is matched to a true spike by the Hungarian assignment between its decoded atom and
    the true atoms. Plain model: no blocks, so each coordinate is given the spike (spikes ordered by x) whose three
    factors explain it best. The factors are then the same three for both models.
    """
    images = spike_images(params, size, sigma)
    codes, atoms = encode_atoms(model, images)
    n, k = params.shape[:2]
    if atoms is not None:
        match = match_atoms(atoms, spike_atoms(params, size, sigma))
        d0 = codes.shape[1] // k
        rows = []
        for j in range(k):
            factors = params[np.arange(n), match[:, j]]  # (n, 3) of the spike matched to block j
            rows.append(r2_table(codes[:, j * d0 : (j + 1) * d0], factors))
        return disentanglement(np.concatenate(rows))
    ordered = np.take_along_axis(params, np.argsort(params[:, :, 1], axis=1)[:, :, None], axis=1)
    tables = np.stack([r2_table(codes, ordered[:, i]) for i in range(k)])  # (k spikes, m, 3)
    best = tables.sum(-1).argmax(0)
    return disentanglement(tables[best, np.arange(codes.shape[1])])


def fit_single_spike(atom: np.ndarray, sigma: float) -> tuple[np.ndarray, float]:
    """Fit one Gaussian spike to an image (H, W): amplitude = peak, position = centroid of the positive part near
    the peak; returns (amplitude, x, y) and the relative residual ‖atom − fit‖ / ‖atom‖."""
    h, w = atom.shape
    iy, ix = np.unravel_index(np.argmax(atom), atom.shape)
    ys, xs = np.mgrid[0:h, 0:w]
    near = (np.hypot(ys - iy, xs - ix) <= 3 * sigma) & (atom > 0)
    weight = np.where(near, atom, 0)
    total = weight.sum()
    x = float((weight * xs).sum() / total) if total > 0 else float(ix)
    y = float((weight * ys).sum() / total) if total > 0 else float(iy)
    params = np.array([atom.max(), x, y])
    fit = spike_atoms(params[None, None], size=h, sigma=sigma)[0, 0]
    return params, float(np.linalg.norm(atom - fit) / max(np.linalg.norm(atom), 1e-12))


def train_spike_models(*, size: int, k: int, d0: int, n_train: int, sigma: float, min_separation: float,
                       amplitude: tuple[float, float], steps: int, batch_size: int, lr: float, margin: float = 4.0,
                       seed: int = 0, device: str = "auto") -> tuple[TrainResult, TrainResult, np.ndarray]:
    """The atomic autoencoder and the plain one of the same latent size, trained on the same spike images."""
    params = spike_parameters(n_train, k, size, amplitude, min_separation, margin, seed=seed)
    images = spike_images(params, size, sigma)
    atomic = train_images(AtomicAutoencoder(size, k, d0), images, steps=steps, batch_size=batch_size, lr=lr,
                          seed=seed, name="atomic, spikes", device=device)
    plain = train_images(PlainAutoencoder(size, k * d0), images, steps=steps, batch_size=batch_size, lr=lr,
                         seed=seed, name="plain, spikes", device=device)
    return atomic, plain, params
