"""Eigenvalues of an autoencoder's composed Jacobians (paper 002): J_I(x) = Df_dec(z)·Df_enc(x), J_L(z) = Df_enc(y)·Df_dec(z).

J_I is n×n with rank at most d, and AB and BA share their nonzero eigenvalues, so its nonzero spectrum is that of
the d×d matrix Df_enc(x)·Df_dec(z): a d×d eigenproblem per point instead of an n×n one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from aebook.analysis.jacobian import jacobians


@dataclass
class Spectra:
    """Per point: the d eigenvalues of J_I (its nonzero spectrum) and of J_L, complex128, shape (n, d)."""

    input_space: torch.Tensor
    latent_space: torch.Tensor


@torch.no_grad()
def _forward(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    z = model.encode(x)
    return z, model.decode(z).reshape(len(x), -1)


def composed_spectra(model: nn.Module, x: torch.Tensor, chunk: int = 256) -> Spectra:
    """Eigenvalues of J_I(x) (via the d×d product) and J_L(z) at each row of ``x`` (n, n_in)."""
    x = x.reshape(len(x), -1)
    z, y = _forward(model, x)
    enc = lambda v: model.encode(v)  # noqa: E731 - small adaptors for jacobians()
    dec = lambda v: model.decode(v).reshape(len(v), -1)  # noqa: E731
    j_enc_x = jacobians(enc, x, chunk)  # (n, d, n_in)
    j_dec_z = jacobians(dec, z, chunk)  # (n, n_in, d)
    j_enc_y = jacobians(enc, y, chunk)  # (n, d, n_in)
    small_i = j_enc_x @ j_dec_z  # (n, d, d): same nonzero spectrum as J_I = j_dec_z @ j_enc_x
    small_l = j_enc_y @ j_dec_z  # J_L itself
    small_i, small_l = small_i.detach().double(), small_l.detach().double()
    return Spectra(torch.linalg.eigvals(small_i), torch.linalg.eigvals(small_l))


def full_input_jacobian(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The full n_in × n_in J_I(x) = Df_dec(z)·Df_enc(x) at each row of ``x``: for tests and benchmarks only."""
    x = x.reshape(len(x), -1)
    z, _ = _forward(model, x)
    j_enc_x = jacobians(lambda v: model.encode(v), x)
    j_dec_z = jacobians(lambda v: model.decode(v).reshape(len(v), -1), z)
    return (j_dec_z @ j_enc_x).detach()
