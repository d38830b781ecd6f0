"""How well latent coordinates line up with known factors (paper 001): matching blocks to atoms, and scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment


def match_atoms(predicted: np.ndarray, true: np.ndarray) -> np.ndarray:
    """For each image, the true atom matched to each predicted one (Hungarian assignment on squared error).

    ``predicted`` and ``true`` are (n, k, H, W); the result (n, k) gives, for block j, the index of its true atom.
    """
    if predicted.shape != true.shape:
        raise ValueError(f"shapes differ: {predicted.shape} and {true.shape}")
    n, k = predicted.shape[:2]
    p, t = predicted.reshape(n, k, -1), true.reshape(n, k, -1)
    cost = ((p[:, :, None, :] - t[:, None, :, :]) ** 2).sum(-1)  # (n, k predicted, k true)
    out = np.empty((n, k), dtype=int)
    for i in range(n):
        rows, cols = linear_sum_assignment(cost[i])
        out[i, rows] = cols
    return out


def r2_table(codes: np.ndarray, factors: np.ndarray, degree: int = 3) -> np.ndarray:
    """R² of each code coordinate explained by each factor alone, through a polynomial of ``degree``: (m, f).

    ``codes`` (N, m), ``factors`` (N, f). A polynomial rather than a line, so that a coordinate that encodes a
    factor monotonically but not linearly still counts.
    """
    codes, factors = np.asarray(codes, float), np.asarray(factors, float)
    out = np.zeros((codes.shape[1], factors.shape[1]))
    total = ((codes - codes.mean(0)) ** 2).sum(0)
    for f in range(factors.shape[1]):
        v = factors[:, f]
        v = (v - v.mean()) / (v.std() + 1e-12)
        basis = np.stack([v**p for p in range(degree + 1)], axis=1)
        coef, *_ = np.linalg.lstsq(basis, codes, rcond=None)
        resid = ((codes - basis @ coef) ** 2).sum(0)
        out[:, f] = 1 - resid / np.maximum(total, 1e-30)
    return np.clip(out, 0, 1)


@dataclass
class Disentanglement:
    """Per coordinate: the share of its explained variance that each factor takes, and summary scores."""

    r2: np.ndarray  # (m, f)
    shares: np.ndarray  # (m, f), rows sum to 1 (0 where nothing is explained)
    score: float  # mean over coordinates of the largest share: 1 when each coordinate follows one factor
    informativeness: float  # mean over coordinates of the largest R²


def disentanglement(r2: np.ndarray) -> Disentanglement:
    """Shares and scores from an R² table (coordinates × factors)."""
    r2 = np.asarray(r2, float)
    total = r2.sum(1, keepdims=True)
    shares = np.divide(r2, total, out=np.zeros_like(r2), where=total > 0)
    return Disentanglement(r2, shares, float(shares.max(1).mean()), float(r2.max(1).mean()))
