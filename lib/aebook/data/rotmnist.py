"""rot-MNIST (paper 004): MNIST digits rotated by angles uniform over 360°, generated from a seed, never stored."""

from __future__ import annotations

import math

import numpy as np
import torch

from aebook.data.mnist import load_mnist
from aebook.geometry import rotation, warp


def rotated_mnist(split: str = "train", n: int = 1500, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` digits of ``split`` rotated uniformly over [0, 2π): images (n, 1, 28, 28) float32 in [0, 1], labels,
    and the angles (radians) by which each digit was turned (anticlockwise as displayed)."""
    images, labels = load_mnist(split)
    if not 0 < n <= len(images):
        raise ValueError(f"n must be in 1…{len(images)}, got {n}")
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(images), n, replace=False))
    angles = rng.uniform(0, 2 * math.pi, n)
    x = torch.from_numpy(images[pick].astype(np.float32) / 255.0).unsqueeze(1)
    # in image coordinates (y down), sampling at the rotation by +a turns the picture anticlockwise by a as displayed
    turned = warp(x, rotation(torch.from_numpy(angles).float()))
    return turned.clamp(0, 1).numpy(), labels[pick], angles
