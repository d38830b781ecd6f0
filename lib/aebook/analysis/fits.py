"""Small fits used to read a code: linear R², the best power law, rank correlation."""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats


def linear_r2(x: np.ndarray, y: np.ndarray) -> float:
    """R² of the least-squares line ``y ≈ a·x + b``."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 3:
        raise ValueError("x and y must be 1-D arrays of the same length (at least 3)")
    design = np.c_[x, np.ones_like(x)]
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    total = ((y - y.mean()) ** 2).sum()
    return float(1.0 - (resid**2).sum() / total) if total > 0 else float("nan")


def best_power(x: np.ndarray, y: np.ndarray, bounds: tuple[float, float] = (0.25, 4.0)) -> float:
    """The exponent p for which ``y ≈ a·x**p + b`` fits best (largest R²), searched within ``bounds``."""
    x = np.asarray(x, dtype=float)
    if (x <= 0).any():
        raise ValueError("best_power needs positive x")
    res = optimize.minimize_scalar(lambda p: -linear_r2(x**p, y), bounds=bounds, method="bounded")
    return float(res.x)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation of x and y."""
    return float(stats.spearmanr(x, y).statistic)


def largest_jump(x: np.ndarray, y: np.ndarray) -> float:
    """How far ``y`` leaps between neighbouring ``x``: the largest |Δy| between consecutive points (sorted by x),
    divided by the range of y. About 1/n for a smooth monotone y over n evenly spaced points; near 1 for a step."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError("x and y must be 1-D arrays of the same length (at least 2)")
    y = y[np.argsort(x, kind="stable")]
    span = float(y.max() - y.min())
    return float(np.abs(np.diff(y)).max() / span) if span > 0 else 0.0
