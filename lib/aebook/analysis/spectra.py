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


def _encoder_decoder_jacobians(
    model: nn.Module, x: torch.Tensor, chunk: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """y = decode(encode(x)), Df_enc(x) (n, d, n_in) and Df_dec(z) (n, n_in, d) for each row of x."""
    z, y = _forward(model, x)

    def decode_flat(v: torch.Tensor) -> torch.Tensor:
        return model.decode(v).reshape(len(v), -1)

    return y, jacobians(model.encode, x, chunk), jacobians(decode_flat, z, chunk)


def composed_spectra(model: nn.Module, x: torch.Tensor, chunk: int = 256) -> Spectra:
    """Eigenvalues of J_I(x) (via the d×d product) and J_L(z) at each row of ``x`` (n, n_in)."""
    y, j_enc_x, j_dec_z = _encoder_decoder_jacobians(model, x.reshape(len(x), -1), chunk)
    j_enc_y = jacobians(model.encode, y, chunk)  # (n, d, n_in)
    small_i = (j_enc_x @ j_dec_z).detach().double()  # same nonzero spectrum as J_I = j_dec_z @ j_enc_x
    small_l = (j_enc_y @ j_dec_z).detach().double()  # J_L itself
    return Spectra(torch.linalg.eigvals(small_i), torch.linalg.eigvals(small_l))


def full_input_jacobian(model: nn.Module, x: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    """The full n_in × n_in J_I(x) = Df_dec(z)·Df_enc(x) at each row of ``x``: for tests and benchmarks only."""
    _, j_enc_x, j_dec_z = _encoder_decoder_jacobians(model, x.reshape(len(x), -1), chunk)
    return (j_dec_z @ j_enc_x).detach()
