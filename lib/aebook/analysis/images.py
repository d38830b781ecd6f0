"""Comparing images: intersection over union of thresholded masks, per-image errors."""

from __future__ import annotations

import numpy as np


def iou(a: np.ndarray, b: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Per-image intersection over union of ``a > threshold`` and ``b > threshold`` (1 where both are empty)."""
    a, b = np.asarray(a) > threshold, np.asarray(b) > threshold
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    axes = tuple(range(1, a.ndim))
    inter, union = (a & b).sum(axis=axes), (a | b).sum(axis=axes)
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def mse_per_image(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean squared error of each image pair."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return ((a - b) ** 2).reshape(len(a), -1).mean(axis=1)


def mosaic(images: np.ndarray, cols: int, gap: int = 1) -> np.ndarray:
    """Tile images (n, h, w) into one picture with ``cols`` per row, separated by ``gap`` pixels of 1 (white)."""
    images = np.asarray(images)
    if images.ndim != 3 or cols < 1:
        raise ValueError(f"mosaic needs images (n, h, w) and cols ≥ 1, got shape {images.shape} and cols {cols}")
    n, h, w = images.shape
    rows = -(-n // cols)
    out = np.ones((rows * (h + gap) - gap, cols * (w + gap) - gap), dtype=images.dtype)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = img
    return out


def ink_slant(images: np.ndarray) -> np.ndarray:
    """The slant of each image's ink (n, h, w): μ₁₁/μ₀₂ of the intensity-weighted pixel coordinates, how far x moves
    per row down (0 for an upright stroke, positive when the top leans right; the shear a deskewing undoes). An image
    without ink, or with all its ink on one row, gets NaN."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3:
        raise ValueError(f"ink_slant needs images (n, h, w), got shape {images.shape}")
    n, h, w = images.shape
    rows, cols = np.mgrid[:h, :w]
    mass = images.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        cy = (images * rows).sum(axis=(1, 2)) / mass
        cx = (images * cols).sum(axis=(1, 2)) / mass
        dy, dx = rows[None] - cy[:, None, None], cols[None] - cx[:, None, None]
        mu02 = (images * dy**2).sum(axis=(1, 2))
        mu11 = (images * dx * dy).sum(axis=(1, 2))
        return np.where((mass > 0) & (mu02 > 0), -mu11 / mu02, np.nan)
