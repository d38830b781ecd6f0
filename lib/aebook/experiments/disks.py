"""Recipes for paper 000's experiments: train a disk autoencoder on a radius set, then sweep the test radii."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from aebook.analysis import codes, images
from aebook.data.disks import Interval, fitted_radius, sample_radii, shape_images
from aebook.models.disk_ae import DiskAutoencoder
from aebook.train import Callback, TrainConfig, TrainResult, train


def train_on_radii(
    model: nn.Module | None = None,
    *,
    size: int = 64,
    n_train: int = 3000,
    r_max: float | None = None,
    exclude: Sequence[Interval] = (),
    steps: int = 1000,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    device: str = "auto",
    name: str = "autoencoder",
    callbacks: Sequence[Callback] = (),
    extra_key: dict[str, Any] | None = None,
    shape: str = "disk",
) -> TrainResult:
    """Train ``model`` (default: the Table 1 autoencoder) on centred shapes, sizes uniform in (0, r_max] minus ``exclude``."""
    r_max = size / 2 if r_max is None else r_max
    radii = sample_radii(n_train, r_max=r_max, exclude=exclude, seed=seed)
    data = torch.from_numpy(shape_images(shape, radii, size))
    config = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, seed=seed)
    model = model if model is not None else DiskAutoencoder(size=size)
    return train(model, data, config, name=name, device=device, callbacks=callbacks, extra_key=extra_key)


@dataclass
class RadiusSweep:
    """A model's behaviour across test radii: inputs, outputs, codes, errors and the radius each output shows."""

    radii: np.ndarray
    inputs: np.ndarray
    outputs: np.ndarray
    codes: np.ndarray
    mse: np.ndarray
    iou: np.ndarray
    r_hat: np.ndarray


def radius_sweep(model: nn.Module, radii: np.ndarray, size: int = 64, shape: str = "disk") -> RadiusSweep:
    """Encode and decode a shape of each size; measure squared error, IoU and the output's fitted size."""
    radii = np.asarray(radii, dtype=float)
    x = shape_images(shape, radii, size)
    z = codes.encode(model, x)
    y = codes.decode(model, z)
    return RadiusSweep(radii, x, y, z, images.mse_per_image(y, x), images.iou(y, x), fitted_radius(y, shape))


def nonblank(images: np.ndarray) -> np.ndarray:
    """Which images have at least one lit pixel (a disk of radius below 1/√2 renders empty on the grid)."""
    return np.asarray(images).reshape(len(images), -1).max(axis=1) > 0


def majority_sign_share(z: np.ndarray) -> float:
    """Share of the codes that carry the sign most of them carry (a code of exactly 0 counts for neither sign)."""
    z = np.asarray(z, dtype=float).ravel()
    return float(max((z > 0).mean(), (z < 0).mean()))


def late_growth(amplitude: Sequence[float], start: float = 0.5, window: float = 0.05) -> float:
    """How much a logged curve grows over the end of training: its mean over the last ``window`` of the steps over
    its mean over the ``window`` of steps around ``start`` (a share of training); 1 means it has settled."""
    a = np.asarray(amplitude, dtype=float)
    w = max(1, int(round(window * len(a))))
    mid = int(round(start * len(a)))
    lo = max(0, mid - w // 2)
    return float(a[-w:].mean() / a[lo:lo + w].mean())


def band_error_ratio(sweep: RadiusSweep, band: np.ndarray, rest: np.ndarray) -> float:
    """Mean squared error on the radii of ``band`` over that on the radii of ``rest`` (boolean masks)."""
    return float(sweep.mse[band].mean() / sweep.mse[rest].mean())


def generic_profile(t: np.ndarray, r_max: float) -> np.ndarray:
    """A generic decreasing radial profile, 1 − (t/R)² (zero beyond R): the control for the optimal profile."""
    t = np.asarray(t, dtype=float)
    return np.clip(1.0 - (t / r_max) ** 2, 0.0, None)


def crossfade(x0: np.ndarray, x1: np.ndarray, n: int) -> np.ndarray:
    """``n`` images blended pixel by pixel from ``x0`` to ``x1``: interpolation without a code, as a control."""
    s = np.linspace(0.0, 1.0, n)[:, None, None]
    return ((1 - s) * np.asarray(x0)[None] + s * np.asarray(x1)[None]).astype(np.float32)


def without_encoder_biases(model: DiskAutoencoder) -> DiskAutoencoder:
    """Remove the biases of the encoder's convolutions in place (the decoder keeps its own) and return the model."""
    for conv in model.encoder_convs:
        conv.register_parameter("bias", None)
    return model
