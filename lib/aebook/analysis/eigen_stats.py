"""What paper 002 reads from Jacobian eigenvalues: distances, mean moduli, spread of log|λ|, orientation, arguments.

Every function takes eigenvalues as a complex array (n_points, d), one row per point.
"""

from __future__ import annotations

import numpy as np

#: |λ| below this counts as zero: log|λ| is taken of max(|λ|, LOG_FLOOR) so that a dead direction gives a finite value.
LOG_FLOOR = 1e-12


def _as_array(lam) -> np.ndarray:
    lam = np.asarray(lam.numpy() if hasattr(lam, "numpy") else lam)
    if lam.ndim != 2:
        raise ValueError(f"eigenvalues must be (n_points, d), got shape {lam.shape}")
    return lam.astype(np.complex128)


def sort_by_modulus(lam) -> np.ndarray:
    """Each row ordered by decreasing |λ| (ties, such as conjugate pairs, by decreasing imaginary part)."""
    lam = _as_array(lam)
    modulus = np.round(np.abs(lam), 10)  # conjugates have equal modulus up to rounding
    order = np.lexsort((-lam.imag, -modulus), axis=-1)
    return np.take_along_axis(lam, order, axis=-1)


def eigen_distance(lam_a, lam_b) -> np.ndarray:
    """‖λ_a − λ_b‖² / d per point, both vectors sorted by decreasing modulus (the quantity of the paper's Fig. 1)."""
    a, b = sort_by_modulus(lam_a), sort_by_modulus(lam_b)
    if a.shape != b.shape:
        raise ValueError(f"eigenvalue arrays differ in shape: {a.shape} and {b.shape}")
    return (np.abs(a - b) ** 2).sum(axis=1) / a.shape[1]


def log_modulus(lam) -> np.ndarray:
    """log|λ| for every eigenvalue, with |λ| floored at ``LOG_FLOOR``."""
    return np.log(np.maximum(np.abs(_as_array(lam)), LOG_FLOOR))


def arithmetic_mean_modulus(lam) -> float:
    """Mean of |λ| over every eigenvalue of every point."""
    return float(np.abs(_as_array(lam)).mean())


def geometric_mean_modulus(lam) -> float:
    """exp(mean log|λ|) over every eigenvalue of every point."""
    return float(np.exp(log_modulus(lam).mean()))


def log_modulus_std(lam) -> float:
    """Standard deviation of log|λ| over every eigenvalue of every point (the paper's Fig. 4)."""
    return float(log_modulus(lam).std())


def orientation_reversed(lam) -> np.ndarray:
    """True where the product of a point's eigenvalues (the determinant of its d×d map) is negative."""
    product = np.prod(_as_array(lam), axis=1)
    return product.real < 0


def abs_argument(lam) -> np.ndarray:
    """|Arg λ| in [0, π] for every eigenvalue."""
    return np.abs(np.angle(_as_array(lam)))
