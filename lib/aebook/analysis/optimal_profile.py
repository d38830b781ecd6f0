"""The optimal decoding profile of paper 000 (Proposition 2, Eq. 7, Appendix A): numerically and with Airy functions.

E(f) = ∫_0^R (∫_0^r f(ρ) ρ dρ)² dr is maximised under ∫ f(ρ)² ρ dρ = 1. On a grid of n cells this is the generalised
Rayleigh quotient fᵀKf / fᵀMf, so the optimum is the top eigenvector of K v = λ M v (solved with scipy's ``eigh``).
The Euler–Lagrange equation gives f'' = −k t f with f(0) = 1, f'(0) = 0 and f(R) = 0, whose solution is a
combination of Airy functions; k places the first zero at R.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, optimize, special


def optimal_profile_numeric(r_max: float, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Maximise E(f) on n cells of [0, r_max]; return the cell centres and f (unit 2-D norm, f(0) > 0)."""
    if r_max <= 0 or n < 2:
        raise ValueError("r_max must be positive and n at least 2")
    h = r_max / n
    rho = (np.arange(n) + 0.5) * h
    lower = np.tril(np.ones((n, n))) * (rho * h)[None, :]  # (L f)_j = sum_{i <= j} f_i rho_i h
    k_mat = h * lower.T @ lower
    m_mat = np.diag(rho * h)
    _, vecs = linalg.eigh(k_mat, m_mat)
    f = vecs[:, -1]
    f = f / np.sqrt((f**2 * 2 * np.pi * rho * h).sum())
    return rho, f if f[0] > 0 else -f


def _airy_shape(s: np.ndarray) -> np.ndarray:
    ai, _, bi, _ = special.airy(-np.asarray(s, dtype=float))
    return ai + bi / np.sqrt(3.0)  # f'(0) = 0 fixes Bi's weight; f(0) = 2·Ai(0) > 0


def airy_first_zero() -> float:
    """The first positive zero s0 of Ai(−s) + Bi(−s)/√3, the shape of the optimal profile."""
    return float(optimize.brentq(_airy_shape, 0.5, 3.0))


def optimal_profile_airy(r_max: float, t: np.ndarray) -> tuple[np.ndarray, float]:
    """The closed-form optimum at radii t (zero beyond r_max), unnormalised with f(0) = 1, and its constant k."""
    s0 = airy_first_zero()
    k = (s0 / r_max) ** 3
    t = np.asarray(t, dtype=float)
    f = _airy_shape(k ** (1 / 3) * t) / _airy_shape(0.0)
    return np.where(t <= r_max, f, 0.0), k
