"""Batched Jacobians of a model, and what chapters read from them: symmetry, eigenvalues, the curl of a 2-D field.

One implementation for every chapter: ``torch.func.vmap`` over ``torch.func.jacrev``, evaluated in chunks so
that large batches fit in memory, on whatever device the inputs are on.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from aebook.exactmath import exact_sqrt


def jacobians(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    """Jacobians ``∂fn/∂x`` at each row of ``x`` (n, d_in): a tensor (n, d_out, d_in).

    ``fn`` maps a batch (m, d_in) to (m, d_out) and must treat rows independently (no batch norm in
    training mode). It is called on single rows, so any model in eval mode works.
    """
    if x.dim() != 2:
        raise ValueError(f"x must be (n, d_in), got shape {tuple(x.shape)}")

    def single(row: torch.Tensor) -> torch.Tensor:
        return fn(row.unsqueeze(0)).squeeze(0)

    jac = torch.func.vmap(torch.func.jacrev(single))
    return torch.cat([jac(x[i : i + chunk]) for i in range(0, len(x), chunk)])


def symmetry_score(jac: torch.Tensor) -> torch.Tensor:
    """sqrt(‖(J + Jᵀ)/2‖²_F / ‖J‖²_F) for each square Jacobian in (n, d, d): 1 exactly when J is symmetric."""
    if jac.dim() != 3 or jac.shape[1] != jac.shape[2]:
        raise ValueError(f"expected square Jacobians (n, d, d), got {tuple(jac.shape)}")
    # ‖(J + Jᵀ)/2‖²_F = (‖J‖²_F + tr(J²)) / 2, and tr(J²) = Σ_ij J_ij J_ji: two passes over J, no copies
    return exact_sqrt(0.5 * (1 + (jac * jac.mT).sum(dim=(1, 2)) / (jac * jac).sum(dim=(1, 2))))


def eigenvalues(jac: torch.Tensor) -> torch.Tensor:
    """Complex eigenvalues of each square Jacobian (n, d, d) → (n, d), computed in float64."""
    return torch.linalg.eigvals(jac.to(torch.float64))


def curl_2d(jac: torch.Tensor) -> torch.Tensor:
    """The scalar curl ∂f₂/∂x₁ − ∂f₁/∂x₂ of a 2-D field from its Jacobians (n, 2, 2)."""
    if jac.shape[1:] != (2, 2):
        raise ValueError(f"curl_2d needs (n, 2, 2) Jacobians, got {tuple(jac.shape)}")
    return jac[:, 1, 0] - jac[:, 0, 1]
