"""Radial profiles of centred images and the separable model y(t, r) = h(r) f(t) of paper 000 (Eq. 5, Fig. 7)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def pixel_distances(size: int) -> np.ndarray:
    """Distance of each pixel centre to the grid's centre ``((size-1)/2, (size-1)/2)``."""
    c = np.arange(size) - (size - 1) / 2.0
    return np.sqrt(c[:, None] ** 2 + c[None, :] ** 2)


def ring_centres(size: int) -> np.ndarray:
    """The radii t = k + 0.5 of the rings [k, k+1) used by :func:`radial_profile` (k < size/2)."""
    return np.arange(size // 2) + 0.5


def radial_profile(images: np.ndarray) -> np.ndarray:
    """Mean grey level of each image on the rings [k, k+1) around the centre, k = 0 … size/2 − 1: shape (n, size/2)."""
    images = np.asarray(images, dtype=float)
    size = images.shape[-1]
    ring = np.floor(pixel_distances(size)).astype(int).ravel()
    keep = ring < size // 2
    counts = np.bincount(ring[keep], minlength=size // 2)
    flat = images.reshape(len(images), -1)[:, keep]
    sums = np.stack([np.bincount(ring[keep], weights=row, minlength=size // 2) for row in flat])
    return sums / counts


def ring_weights(t: np.ndarray) -> np.ndarray:
    """Area weights 2πt of rings at radii t: the 2-D L2 norm of a radial function is sum(f² · 2πt · dt)."""
    return 2 * np.pi * np.asarray(t, dtype=float)


def normalise(f: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Scale a radial function to unit 2-D L2 norm (rings of unit width), flipped so its peak or centre is positive."""
    f = np.asarray(f, dtype=float)
    norm = np.sqrt((f**2 * ring_weights(t)).sum())
    if norm == 0:
        raise ValueError("cannot normalise a zero profile")
    f = f / norm
    return f if f[np.argmax(np.abs(f))] > 0 or f[0] > 0 else -f


def profile_distance(f: np.ndarray, g: np.ndarray, t: np.ndarray) -> float:
    """2-D L2 distance between two radial functions after normalising both (sign aligned)."""
    a, b = normalise(f, t), normalise(g, t)
    if (a * b * ring_weights(t)).sum() < 0:
        b = -b
    return float(np.sqrt(((a - b) ** 2 * ring_weights(t)).sum()))


@dataclass
class SeparableFit:
    """``profiles ≈ h[:, None] * f[None, :]``: the shared profile f, the scale h per image, and how well it fits."""

    f: np.ndarray
    h: np.ndarray
    rank1_share: float
    ratio_spread: float


def separable_fit(profiles: np.ndarray, t: np.ndarray, drop_last: int = 1, floor: float = 0.1) -> SeparableFit:
    """Fit y(t, r) = h(r) f(t) with f the normalised mean profile (as the paper does) and h by projection.

    ``rank1_share`` is the share of the profiles' energy in their best rank-1 approximation; ``ratio_spread`` is the
    median over images of std/|mean| of y(t, r)/f(t) on the t where |f| > floor·max|f|, without the last
    ``drop_last`` rings (border effects, as in the paper's Fig. 7).
    """
    p = np.asarray(profiles, dtype=float)
    if drop_last:
        p, t = p[:, :-drop_last], np.asarray(t)[:-drop_last]
    f = normalise(p.mean(axis=0), t)
    w = ring_weights(t)
    h = (p * f * w).sum(axis=1) / (f**2 * w).sum()
    s = np.linalg.svd(p * np.sqrt(w), compute_uv=False)
    use = np.abs(f) > floor * np.abs(f).max()
    ratios = p[:, use] / f[use]
    strong = np.abs(h) > 1e-3 * np.abs(h).max()
    spread = np.std(ratios[strong], axis=1) / np.abs(np.mean(ratios[strong], axis=1))
    return SeparableFit(f=f, h=h, rank1_share=float(s[0] ** 2 / (s**2).sum()), ratio_spread=float(np.median(spread)))
