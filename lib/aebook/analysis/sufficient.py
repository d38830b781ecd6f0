"""The two sufficient conditions of paper 003 for a conservative one-hidden-layer untied autoencoder.

With r(x) = R·h(Wx + b) + c (W: H×D encoder weights, R: D×H decoder weights) the Jacobian is R·D_h'(x)·W, where
D_h' is the diagonal of activation derivatives. Writing Ŵ = Wᵀ (D×H), the supplement's conditions are

1. R = C·Ŵ with C symmetric (D×D) and commuting with ŴŴᵀ;
2. R = Ŵ·E with E diagonal (H×H): each decoder filter is its encoder filter, brightened or dimmed.

Given trained weights we solve for the C and E that fit best and report how well each relation holds as a relative
residual. C comes from the supplement's formula (with a pseudo-inverse). E is the least-squares *diagonal* fit,
column by column: E_ll = ⟨Ŵ_l, R_l⟩ / ‖Ŵ_l‖², the best multiple of encoder filter l for decoder filter l. Its
residual never exceeds 1 (E = 0 is a candidate). The diagonal of the full least-squares solution of ŴE = R, used
before, is not that fit and can do worse than E = 0 when the filters are nearly collinear; the full solution is
kept only as a diagnostic (``residual_e_full``, a lower bound for any E).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SufficientConditions:
    """The fitted C and E, and the relative residuals of R = CŴ and R = ŴE (0: the relation holds exactly)."""

    c: np.ndarray
    e: np.ndarray
    residual_c: float
    residual_e: float
    c_asymmetry: float  # ‖C − Cᵀ‖ / ‖C‖: how far the fitted C is from symmetric
    residual_e_full: float  # with the full least-squares E (any H×H matrix): a lower bound, a diagnostic only


def sufficient_conditions(encoder_weight: np.ndarray, decoder_weight: np.ndarray) -> SufficientConditions:
    """Fit C (from R Ŵᵀ = Ŵ Rᵀ, C = Ŵ Rᵀ A⁺ with A = ŴŴᵀ) and the diagonal E (E_ll = ⟨Ŵ_l, R_l⟩ / ‖Ŵ_l‖²); W is H×D,
    R is D×H."""
    w = np.asarray(encoder_weight, dtype=np.float64)
    r = np.asarray(decoder_weight, dtype=np.float64)
    if w.ndim != 2 or r.shape != w.T.shape:
        raise ValueError(f"encoder weight must be H×D and decoder weight D×H, got {w.shape} and {r.shape}")
    w_hat = w.T  # D×H
    a = w_hat @ w_hat.T  # D×D
    c = w_hat @ r.T @ np.linalg.pinv(a)
    e_full = np.linalg.pinv(w_hat) @ r  # least-squares solution of Ŵ E = R over all H×H matrices (diagnostic)
    col_sq = (w_hat**2).sum(axis=0)  # ‖Ŵ_l‖² per filter
    scale = np.where(col_sq > 0, (w_hat * r).sum(axis=0) / np.where(col_sq > 0, col_sq, 1.0), 0.0)
    e = np.diag(scale)  # the least-squares diagonal E: each decoder filter against its own encoder filter
    norm_r = np.linalg.norm(r)
    return SufficientConditions(
        c=c,
        e=e,
        residual_c=float(np.linalg.norm(r - c @ w_hat) / norm_r),
        residual_e=float(np.linalg.norm(r - w_hat @ e) / norm_r),
        c_asymmetry=float(np.linalg.norm(c - c.T) / max(np.linalg.norm(c), 1e-300)),
        residual_e_full=float(np.linalg.norm(r - w_hat @ e_full) / norm_r),
    )
