"""What paper 002 reads from Jacobian eigenvalues: distances, mean moduli, spread of log|λ|, orientation, arguments.

Every function takes eigenvalues as a complex array (n_points, d), one row per point.

Zero eigenvalues. A d×d product Df_enc·Df_dec is singular wherever fewer than d units next to the code are active
(ReLU) or a latent direction is unused. Its structural zeros then come out of the eigensolver as roundoff: about
1e-7 of the largest modulus in float32, 1e-16 in float64, with a random sign and phase. The sign of the determinant,
the argument of such an eigenvalue and its log-modulus would be decided by that roundoff. So an eigenvalue with
|λ| < ``RANK_TOL`` · max|λ| of its point counts as zero: the point is *singular* (a third orientation state,
excluded from the reversed share and counted apart), its argument is dropped, and its log-modulus is floored at the
tolerance.
"""

from __future__ import annotations

import numpy as np

#: |λ| below this, relative to the largest |λ| of the same point, counts as zero (a rank tolerance).
RANK_TOL = 1e-6
#: Absolute floor for a point whose eigenvalues are all zero: log|λ| stays finite.
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


def zero_floor(lam, tol: float = RANK_TOL) -> np.ndarray:
    """Per point (n, 1): the modulus below which an eigenvalue counts as zero, ``tol`` · max|λ| (at least LOG_FLOOR)."""
    return np.maximum(tol * np.abs(_as_array(lam)).max(axis=1, keepdims=True), LOG_FLOOR)


def near_zero(lam, tol: float = RANK_TOL) -> np.ndarray:
    """(n, d) mask of the eigenvalues that count as zero: |λ| < ``tol`` · max|λ| of their point."""
    lam = _as_array(lam)
    return np.abs(lam) < zero_floor(lam, tol)


def singular(lam, tol: float = RANK_TOL) -> np.ndarray:
    """True where a point's d×d map is numerically singular: some eigenvalue counts as zero."""
    return near_zero(lam, tol).any(axis=1)


def log_modulus(lam, tol: float = RANK_TOL) -> np.ndarray:
    """log|λ| for every eigenvalue, with |λ| floored at the point's zero tolerance (see :func:`zero_floor`)."""
    lam = _as_array(lam)
    return np.log(np.maximum(np.abs(lam), zero_floor(lam, tol)))


def arithmetic_mean_modulus(lam) -> float:
    """Mean of |λ| over every eigenvalue of every point."""
    return float(np.abs(_as_array(lam)).mean())


def geometric_mean_modulus(lam) -> float:
    """exp(mean log|λ|) over every eigenvalue of every point."""
    return float(np.exp(log_modulus(lam).mean()))


def nonzero_geometric_mean_modulus(lam, tol: float = RANK_TOL) -> float:
    """exp(mean log|λ|) over the eigenvalues that do not count as zero (NaN if none): the floored zeros of
    :func:`geometric_mean_modulus` pull it towards ``tol`` by their share, not by anything the network does."""
    logs = nonzero_log_modulus(lam, tol)
    return float(np.exp(logs.mean())) if logs.size else float("nan")


def log_modulus_std(lam, tol: float = RANK_TOL) -> float:
    """Standard deviation of log|λ| over the eigenvalues that do not count as zero (the paper's Fig. 4; NaN if there
    are none). Zeros floored at the rank tolerance would add a spike at log(``tol``) whose weight, not the network,
    sets the spread: with a share p of zeros it is about ln(1/``tol``)·√(p(1−p)), 4.6 at p = 0.1."""
    lam = _as_array(lam)
    keep = ~near_zero(lam, tol)
    return float(np.log(np.abs(lam[keep])).std()) if keep.any() else float("nan")


def orientation(lam, tol: float = RANK_TOL) -> np.ndarray:
    """Per point: +1 (orientation kept), −1 (reversed: the determinant of its d×d map is negative) or 0 (singular,
    where the sign would be roundoff)."""
    lam = _as_array(lam)
    sign = np.where(np.prod(lam, axis=1).real < 0, -1, 1)
    return np.where(singular(lam, tol), 0, sign)


def orientation_reversed(lam, tol: float = RANK_TOL) -> np.ndarray:
    """True where a point's map has full numerical rank and a negative determinant (singular points are False)."""
    return orientation(lam, tol) == -1


def reversed_share(lam, tol: float = RANK_TOL) -> float:
    """Share of the full-rank points whose map reverses orientation (NaN when no point has full rank)."""
    o = orientation(lam, tol)
    full = o != 0
    return float((o[full] == -1).mean()) if full.any() else float("nan")


def abs_argument(lam, tol: float = RANK_TOL) -> np.ndarray:
    """|Arg λ| in [0, π] for every eigenvalue, NaN for those that count as zero (their phase is roundoff)."""
    lam = _as_array(lam)
    return np.where(near_zero(lam, tol), np.nan, np.abs(np.angle(lam)))


def mean_abs_argument(lam, tol: float = RANK_TOL) -> float:
    """Mean |Arg λ| over the eigenvalues that do not count as zero (NaN if there are none)."""
    arg = abs_argument(lam, tol)
    return float(np.nanmean(arg)) if np.isfinite(arg).any() else float("nan")


def relative_eigen_distance(lam_a, lam_b) -> np.ndarray:
    """‖λ_a − λ_b‖² / (‖λ_a‖² + ‖λ_b‖²) per point, both sorted by decreasing modulus: Fig. 1's distance on a scale
    that does not grow with the size of the eigenvalues (0: equal spectra; at most 2). A point whose spectra are both
    zero gets 0."""
    a, b = sort_by_modulus(lam_a), sort_by_modulus(lam_b)
    if a.shape != b.shape:
        raise ValueError(f"eigenvalue arrays differ in shape: {a.shape} and {b.shape}")
    num = (np.abs(a - b) ** 2).sum(axis=1)
    den = (np.abs(a) ** 2).sum(axis=1) + (np.abs(b) ** 2).sum(axis=1)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def nonzero_log_modulus(lam, tol: float = RANK_TOL) -> np.ndarray:
    """log|λ| of the eigenvalues that do not count as zero, flattened (empty if every eigenvalue is zero)."""
    lam = _as_array(lam)
    return np.log(np.abs(lam[~near_zero(lam, tol)]))


def left_tail(lam, q: float = 0.05, tol: float = RANK_TOL) -> float:
    """How far the small eigenvalues reach below the typical one: median − ``q``-quantile of log|λ| over the
    eigenvalues that do not count as zero (NaN if there are none). Fig. 3's "long left tails on a log scale"."""
    logs = nonzero_log_modulus(lam, tol)
    return float(np.median(logs) - np.quantile(logs, q)) if logs.size else float("nan")


def argument_coverage(lam, bins: int = 18, min_share: float = 0.001, tol: float = RANK_TOL) -> float:
    """Share of the ``bins`` equal bins of [0, π] that hold at least ``min_share`` of the non-zero eigenvalues' |Arg λ|:
    1 when the eigenvalues take every angle (Fig. 6's "any angle"), 1/``bins`` for real positive ones. NaN if every
    eigenvalue counts as zero."""
    arg = abs_argument(lam, tol)
    arg = arg[np.isfinite(arg)]
    if not arg.size:
        return float("nan")
    counts, _ = np.histogram(arg, bins=bins, range=(0.0, np.pi))
    return float((counts >= min_share * arg.size).mean())
