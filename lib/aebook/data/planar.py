"""Two-dimensional toy data sets of paper 003 (Figs. 4–6): points on a line, a circle or a spiral, plus noise."""

from __future__ import annotations

import numpy as np

SHAPES = ("line", "circle", "spiral")


def planar_points(shape: str, n: int, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """``n`` points (n, 2) float32 near a line, circle or spiral inside [−1, 1]², with Gaussian noise of std ``noise``."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}: use one of {', '.join(SHAPES)}")
    if n < 1 or noise < 0:
        raise ValueError("n must be positive and noise non-negative")
    rng = np.random.default_rng(seed)
    t = rng.random(n)
    if shape == "line":
        points = np.stack([1.6 * t - 0.8, 0.8 * t - 0.4], axis=1)  # a slanted segment through the origin
    elif shape == "circle":
        angle = 2 * np.pi * t
        points = 0.6 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    else:  # one and a half turns of an Archimedean spiral
        angle = 3 * np.pi * t
        radius = 0.15 + 0.6 * t
        points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return (points + noise * rng.standard_normal((n, 2))).astype(np.float32)
