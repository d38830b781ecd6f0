"""Spectra of J_I and J_L for every member of an :class:`~aebook.models.mlp_family.MLPFamily` (paper 002).

For an MLP the Jacobians are products of weight matrices and diagonal activation derivatives, so no autograd is
needed: Df_enc(x) = W_k·D_{k-1}·…·D_1·W_1 and Df_dec(z) = D_out·W_out·…·D·W_{k+1}. Each product is formed from the
latent side, so the largest intermediate is (points, d, n_in) and the d×d products
Df_enc(x)·Df_dec(z) (same nonzero spectrum as J_I) and Df_enc(y)·Df_dec(z) (= J_L) never pass through an
n_in×n_in matrix. The generic, autograd-based :func:`aebook.analysis.spectra.composed_spectra` gives the same
eigenvalues; this one is the fast path for a whole family (each member at its own latent size, all points of a
chunk at once).
"""

from __future__ import annotations

import copy

import torch

from aebook.analysis.activations import derivative
from aebook.analysis.spectra import Spectra
from aebook.models.mlp_family import ACTIVATION_FUNCTIONS, MLPFamily, member_family


def _pre_activations(family: MLPFamily, h: torch.Tensor, layers: range) -> list[torch.Tensor]:
    """Pre-activations of ``layers`` for inputs ``h`` (models, n, width); ReLU-type activation between layers."""
    out = []
    act = ACTIVATION_FUNCTIONS[family.activation]
    for i, layer in enumerate(layers):
        if i:
            h = act(h)
        h = torch.baddbmm(family.biases[layer].unsqueeze(1), h, family.weights[layer].transpose(1, 2))
        out.append(h)
    return out


def _times_weight(jac: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """(models, n, r, out) @ (models, out, in) → (models, n, r, in), as one flat batched matmul (much faster)."""
    m, n, r, out = jac.shape
    return torch.bmm(jac.reshape(m, n * r, out), weight).reshape(m, n, r, -1)


def _encoder_jacobian(family: MLPFamily, x: torch.Tensor) -> torch.Tensor:
    """Df_enc at each input: (models, n, d_max, n_in), rows of unused latent units zero."""
    k = family.n_encoder_layers
    pres = _pre_activations(family, x, range(k))
    w_last = family.weights[k - 1] * family.mask.unsqueeze(2)  # (M, d_max, width)
    jac = w_last.unsqueeze(1).expand(-1, x.shape[1], -1, -1)
    for layer in range(k - 2, -1, -1):
        jac = _times_weight(jac * derivative(family.activation, pres[layer]).unsqueeze(2), family.weights[layer])
    return jac


def _times_decoder_jacobian(family: MLPFamily, left: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """``left`` (models, n, r, n_in) times Df_dec(z): (models, n, r, d_max), columns of unused units zero."""
    k, n_layers = family.n_encoder_layers, len(family.weights)
    pres = _pre_activations(family, z, range(k, n_layers))
    jac = left
    for i in reversed(range(len(pres))):
        layer = k + i
        name = family.out_activation if layer == n_layers - 1 else family.activation
        jac = _times_weight(jac * derivative(name, pres[i]).unsqueeze(2), family.weights[layer])
    return jac * family.mask[:, None, None, :]


def analysis_workers() -> int:
    """Threads the analyses may use on the host (``$AEBOOK_ANALYSIS_WORKERS``, default: every core)."""
    from aebook import settings

    return settings.analysis_workers()


def eigvals_parallel(mats: torch.Tensor, workers: int | None = None) -> torch.Tensor:
    """``torch.linalg.eigvals`` of a batch of matrices (…, d, d), split across ``workers`` threads (LAPACK runs
    without the GIL). Each matrix's eigenvalues are computed alone, so the result equals one batched call exactly;
    torch itself runs a batch of small CPU matrices on one core."""
    workers = analysis_workers() if workers is None else workers
    if workers <= 1 or mats.device.type != "cpu" or len(mats) < 2 * workers:
        return torch.linalg.eigvals(mats)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        return torch.cat(list(pool.map(torch.linalg.eigvals, torch.tensor_split(mats, workers))))


@torch.no_grad()
def family_spectra(family: MLPFamily, x: torch.Tensor, chunk: int = 128,
                   dtype: torch.dtype = torch.float64) -> list[Spectra]:
    """Eigenvalues of J_I(x) (its d nonzero ones) and J_L(z) for each member: one Spectra (n, d) per member.

    ``x`` is (n, n_in) on the family's device; ``chunk`` points are processed at a time (memory grows as
    chunk × d × n_in floats). Each member runs on its own, at its own latent size: padded to the largest, the
    family's smaller members would cost as much as its largest (twice the work for latent sizes 2 … 20). The forward
    pass and the Jacobian products run in ``dtype`` (float64 by default, on a copy of the family): in float32 the
    structural zero eigenvalues of a singular d×d product come out as roundoff of about 1e-7 of the largest, too
    close to genuine small eigenvalues to set apart.
    """
    if family.mask.dtype != dtype:
        family = copy.deepcopy(family).to(dtype)
    x = x.reshape(len(x), -1).to(family.mask.device, family.mask.dtype)
    out = []
    for i in range(len(family.latent_sizes)):
        member = member_family(family, i)
        small_i, small_l = [], []
        for start in range(0, len(x), chunk):
            xb = x[start : start + chunk].unsqueeze(0)
            z = member.encode(xb)
            y = member.decode(z)
            small_i.append(_times_decoder_jacobian(member, _encoder_jacobian(member, xb), z)[0].double().cpu())
            small_l.append(_times_decoder_jacobian(member, _encoder_jacobian(member, y), z)[0].double().cpu())
        out.append(Spectra(eigvals_parallel(torch.cat(small_i)), eigvals_parallel(torch.cat(small_l))))
    return out
