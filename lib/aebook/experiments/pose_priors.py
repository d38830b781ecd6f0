"""spatial-vae/03's figures: how far each prior on the pose reaches against the training digits' own poses (thesis
Figs. 10-11). Each label is named here once; the notebook's rules, the prose roles and the calibration records read
the figures by these names."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from aebook.experiments.spatial_vae import build, rotation_angles
from aebook.models.vae import VAE

RANGE_IDENTITY = "range ratio, identity-centred"
RANGE_FITTED = "range ratio, fitted mean"
RANGE_EXCESS = "identity-centred / fitted-mean range ratio"
SHEAR_RATIO = "prior std of cell b / cell d"
TURN_INTERPRETABLE = "rotation std, interpretable (deg)"
TURN_SIX_CELLS = "rotation std, six cells (deg)"
TURN_RATIO = "interpretable / six-cell rotation std"
WIDER_AFFINE = "affine: z of full-rank − diagonal extreme share"
WIDER_TPS = "TPS: z of full-rank − diagonal extreme share"
RMS_AFFINE = "affine: full-rank / diagonal RMS range (context)"
RMS_TPS = "TPS: full-rank / diagonal RMS range (context)"
EXCESS_AFFINE = "affine: z of full-rank extreme share above the data's 5 %"
EXCESS_TPS = "TPS: z of full-rank extreme share above the data's 5 %"

#: The models the figures compare, by the notebook's names (the smaller rank is a parameter of the notebook).
IDENTITY, FITTED, POSED = "affine, mean fixed at identity", "affine, fitted normal", "interpretable, fitted normal"
TPS_FITTED, AFFINE_FULL, TPS_FULL = "TPS, fitted normal", "affine, full rank 6", "TPS, full rank 18"


def rank_gap(family: str, small_rank: int) -> str:
    """The label of the full-rank against rank-``small_rank`` extreme share (``family``: ``affine`` or ``TPS``)."""
    return f"{family}: z of full-rank − rank-{small_rank} extreme share"


def share_z(a: float, b: float, n: int) -> float:
    """(a − b) / its binomial standard error, for two shares of ``n`` independent draws each."""
    return (a - b) / max(np.sqrt((a * (1 - a) + b * (1 - b)) / n), 1e-12)


def excess_z(a: float, n: int) -> float:
    """How far a share of ``n`` draws lies above the data's own 5 %, in binomial standard errors."""
    return (a - 0.05) / np.sqrt(0.05 * 0.95 / n)


def prior_turns(models: Mapping[str, VAE], names: list[str], n_draws: int, seed: int) -> dict[str, float]:
    """Standard deviation (degrees) of the rotation of ``n_draws`` poses drawn from each named model's prior."""
    with torch.no_grad():
        return {name: np.degrees(rotation_angles(models[name], models[name].prior_pose(
            n_draws, torch.Generator().manual_seed(seed)).cpu().numpy())).std() for name in names}


def pose_prior_figures(models: Mapping[str, VAE], variants: Mapping[str, tuple[str, str, int | None]],
                       ranges: Mapping[str, tuple[float, float]], extreme: Mapping[str, float],
                       shuffled_extreme: Mapping[str, float], *, z_dim: int, pose_scale: float, n_draws: int,
                       small_rank: int, seed: int) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Every figure spatial-vae/03's claims read, per claim id: ours, and the control's (the priors before training;
    the full-rank draws with each parameter permuted, which keeps the marginals and drops the covariance).

    ``variants`` maps each model's name to (kind, prior, rank); ``ranges`` to (prior range, data range) in pixels;
    ``extreme`` and ``shuffled_extreme`` to the share of prior draws beyond the data's 95th-percentile displacement,
    as drawn and with each parameter permuted."""
    ratio = {name: p / d for name, (p, d) in ranges.items()}
    tau = models[FITTED].prior_log_scale.detach().exp()
    fresh = {name: build(variants[name][0], z_dim, variants[name][1], pose_scale=pose_scale)  # priors before training
             for name in [FITTED, POSED]}
    turn, turn0 = (prior_turns(m, list(fresh), n_draws, seed) for m in (models, fresh))
    tau0 = fresh[FITTED].prior_log_scale.detach().exp()
    affine_small, tps_small = f"affine, full rank {small_rank}", f"TPS, full rank {small_rank}"

    def wider(shares: Mapping[str, float]) -> dict[str, float]:
        return {WIDER_AFFINE: share_z(shares[AFFINE_FULL], extreme[FITTED], n_draws),
                WIDER_TPS: share_z(shares[TPS_FULL], extreme[TPS_FITTED], n_draws)}

    def compromise(shares: Mapping[str, float]) -> dict[str, float]:
        return {EXCESS_AFFINE: excess_z(shares[AFFINE_FULL], n_draws), EXCESS_TPS: excess_z(shares[TPS_FULL], n_draws),
                rank_gap("affine", small_rank): share_z(shares[AFFINE_FULL], shares[affine_small], n_draws),
                rank_gap("TPS", small_rank): share_z(shares[TPS_FULL], shares[tps_small], n_draws)}

    def turns(t: Mapping[str, float]) -> dict[str, float]:
        return {TURN_INTERPRETABLE: t[POSED], TURN_SIX_CELLS: t[FITTED], TURN_RATIO: t[POSED] / t[FITTED]}

    ours = {
        "fig10-identity-prior-too-wide": {RANGE_IDENTITY: ratio[IDENTITY], RANGE_FITTED: ratio[FITTED],
                                          RANGE_EXCESS: ratio[IDENTITY] / ratio[FITTED]},
        "fig10-cells-shear-horizontally": {SHEAR_RATIO: float(tau[1] / tau[3])},
        "fig10-interpretable-rotates": turns(turn),
        "fig11-full-covariance-wider": {**wider(extreme), RMS_AFFINE: ranges[AFFINE_FULL][0] / ranges[FITTED][0],
                                        RMS_TPS: ranges[TPS_FULL][0] / ranges[TPS_FITTED][0]},
        "fig11-small-rank-compromise": compromise(extreme),
    }
    controls = {
        "fig10-cells-shear-horizontally": {SHEAR_RATIO: float(tau0[1] / tau0[3])},
        "fig10-interpretable-rotates": turns(turn0),
        "fig11-full-covariance-wider": wider(shuffled_extreme),
        "fig11-small-rank-compromise": compromise(shuffled_extreme),
    }
    return ours, controls
