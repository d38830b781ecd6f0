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
