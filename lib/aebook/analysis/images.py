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
