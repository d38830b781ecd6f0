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
