"""Images that are sums of off-the-grid Gaussian spikes (paper 001, section VI), with their parameters."""

from __future__ import annotations

import numpy as np


def spike_parameters(
    n: int,
    k: int,
    size: int = 32,
    amplitude: tuple[float, float] = (0.5, 1.0),
    min_separation: float = 6.0,
    margin: float = 4.0,
    seed: int = 0,
) -> np.ndarray:
    """``n`` sets of ``k`` spikes: an array (n, k, 3) of (amplitude, x, y), positions in pixels, pairwise at least
    ``min_separation`` apart and ``margin`` from the border, amplitudes uniform in ``amplitude``."""
    if n < 1 or k < 1:
        raise ValueError("n and k must be positive")
    lo, hi = margin, size - 1 - margin
    if hi <= lo:
        raise ValueError(f"margin {margin} leaves no room in a {size}-pixel image")
    if k > 1 and min_separation * (k - 1) > np.sqrt(2) * (hi - lo):
        raise ValueError(f"{k} spikes {min_separation} px apart do not fit in a {size}-pixel image")
    rng = np.random.default_rng(seed)
    out = np.empty((n, k, 3))
    out[:, :, 0] = rng.uniform(*amplitude, size=(n, k))
    pos = rng.uniform(lo, hi, size=(n, k, 2))
    for _ in range(1000):  # redraw the images whose spikes are too close, until none is left
        d = np.linalg.norm(pos[:, :, None] - pos[:, None, :], axis=-1) + np.eye(k) * 1e9
        bad = d.min(axis=(1, 2)) < min_separation
        if not bad.any():
            break
        pos[bad] = rng.uniform(lo, hi, size=(int(bad.sum()), k, 2))
    else:
        raise ValueError("could not place the spikes: lower min_separation or k")
    out[:, :, 1:] = pos
    return out


def spike_atoms(params: np.ndarray, size: int = 32, sigma: float = 1.5) -> np.ndarray:
    """Each spike as its own image: (n, k, size, size) float32, spike j = a·exp(−‖p − (x, y)‖² / 2σ²)."""
    grid = np.arange(size, dtype=np.float64)
    a, x, y = params[..., 0], params[..., 1], params[..., 2]
    gx = np.exp(-((grid - x[..., None]) ** 2) / (2 * sigma**2))  # (n, k, size) along x (columns)
    gy = np.exp(-((grid - y[..., None]) ** 2) / (2 * sigma**2))  # along y (rows)
    return (a[..., None, None] * gy[..., :, None] * gx[..., None, :]).astype(np.float32)


def spike_images(params: np.ndarray, size: int = 32, sigma: float = 1.5) -> np.ndarray:
    """The images: the sum of their spikes, (n, 1, size, size) float32."""
    return spike_atoms(params, size, sigma).sum(axis=1, keepdims=True)
