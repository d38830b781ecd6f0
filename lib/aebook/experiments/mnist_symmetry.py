"""conservative/02's figures: how symmetric the Jacobians of the untied MNIST autoencoders are (supplement Table 1),
what the weight-length cap does to them (Figs. 1 and 3), and how the decoder relates to the encoder. Each label is
named here once; the notebook's rules, the prose roles and the calibration records read the figures by these
names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from aebook.analysis.symmetry import one_hidden_symmetry
from aebook.experiments.conservative import at_snapshot, smoothed_filter_figures
from aebook.train import TrainResult

#: Table 1 of the supplement (mean symmetry), per model kind, in the order of :data:`TABLE1_COLUMNS`.
TABLE1 = {"AE": [0.959, 0.987, 0.951, 0.991], "CAE": [0.952, 0.986, 0.974, 0.991]}
#: Table 1's columns: (activation, weight-length constraint).
TABLE1_COLUMNS = [("relu", False), ("relu", True), ("sigmoid", False), ("sigmoid", True)]

LOWEST_SYMMETRY = "lowest mean symmetry"
CAP = "least share of filters at the cap (+wl models)"
WL_RAISES = "share of pairs where +wl is more symmetric"
COSINE_CAE_WL = "mean cosine, CAE sig.+wl"
CAP_CAE_WL = "share of CAE sig.+wl filters at the cap"
ROUGH = "median roughness, decoder / encoder filter"
GAIN = "mean cosine gain from blurring the encoder filter"
#: The authors' public 2-D code adds λ ≤ 5·10⁻³ times the penalty to half the summed squared error; ours adds λ to
#: the per-pixel mean, i.e. λ·D/2 on their scale (D = 784 pixels).
CAE_SCALE = "our contractive weight on the authors' scale / their largest"
RESIDUAL_FALL = "smallest fall of the residual"
SATURATION_DROP = "saturated share, without − with wl"
TIED_SYMMETRY = "mean symmetry, tied"
OFF_TABLE1 = "largest |ours − Table 1| over the +wl cells (points)"


def saturated_share(model: torch.nn.Module, test: torch.Tensor) -> float:
    """Share of a sigmoid autoencoder's hidden activations on ``test`` below 0.05 or above 0.95."""
    with torch.no_grad():
        h = torch.sigmoid(model.encoder[0](test)).numpy().ravel()
    return float(((h < 0.05) | (h > 0.95)).mean())


def tied_copy(run: TrainResult) -> torch.nn.Module:
    """The trained model with its decoder replaced by its encoder's transpose (R = Wᵀ: the tied autoencoder)."""
    tied = at_snapshot(run, 0)
    tied.load_state_dict(run.model.cpu().state_dict())
    with torch.no_grad():
        tied.decoder[0].weight.copy_(tied.encoder[0].weight.T)
    return tied


def symmetry_figures(runs: Mapping[tuple[str, str, bool], TrainResult], test: torch.Tensor, *,
                     score: Mapping[tuple, float], untrained: Mapping[tuple, float], at_cap: Mapping[tuple, float],
                     cosine: Mapping[tuple, float], saturated: Mapping[bool, float],
                     sufficient: Mapping[tuple, tuple[Any, Any]], sufficient_shuffled: Mapping[tuple, tuple[Any, Any]],
                     kinds: Sequence[str], contractive_weight: float
                     ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Every figure conservative/02's claims read, per claim id: ours, and the control's (the models at their initial
    weights, the model without the cap, decoder filters paired with another unit's, the untied model, the models
    without the cap against Table 1's +wl cells).

    ``runs`` and the per-model figures are keyed (kind, activation, capped); ``saturated`` by capped (the sigmoid
    AE); ``sufficient`` and ``sufficient_shuffled`` hold (untrained, trained) sufficient-condition fits."""
    pairs = [(k, a) for k in kinds for a in ("relu", "sigmoid")]
    raised = float(np.mean([score[k, a, True] > score[k, a, False] for k, a in pairs]))
    bound = float(min(at_cap[k, a, True] for k, a in pairs))
    cae = runs["CAE", "sigmoid", False]
    smooth, smooth0 = smoothed_filter_figures(cae.model), smoothed_filter_figures(at_snapshot(cae, 0))
    closer = float(min(b.residual_e - t.residual_e for b, t in sufficient.values()))
    closer_shuffled = float(min(b.residual_e - t.residual_e for b, t in sufficient_shuffled.values()))
    sat_init = {wl: saturated_share(at_snapshot(runs["AE", "sigmoid", wl], 0), test) for wl in (False, True)}
    tied = tied_copy(runs["AE", "sigmoid", False])
    paper_cell = {(k, a, w): TABLE1[k][TABLE1_COLUMNS.index((a, w))] for k in kinds for a, w in TABLE1_COLUMNS}

    def off_paper(wl: bool) -> float:
        return 100 * max(abs(score[k, a, wl] - paper_cell[k, a, True]) for k, a in pairs)

    ours = {
        "table1-symmetric": {LOWEST_SYMMETRY: min(score.values())},
        "table1-weight-length": {CAP: bound, WL_RAISES: raised},
        "fig1-filters": {COSINE_CAE_WL: cosine["CAE", "sigmoid", True], CAP_CAE_WL: at_cap["CAE", "sigmoid", True]},
        "fig1-smoothed-without-wl": {**smooth, CAE_SCALE: contractive_weight * 784 / 2 / 5e-3},
        "condition-2": {RESIDUAL_FALL: closer},
        "fig3-activations": {SATURATION_DROP: saturated[False] - saturated[True], CAP: bound},
        "tied-is-symmetric": {TIED_SYMMETRY: float(one_hidden_symmetry(tied, test).mean())},
        "table1-wl-cells": {OFF_TABLE1: off_paper(True), CAP: bound},
    }
    controls = {
        "table1-symmetric": {LOWEST_SYMMETRY: min(untrained.values())},
        "fig1-filters": {COSINE_CAE_WL: cosine["CAE", "sigmoid", False]},
        "fig1-smoothed-without-wl": smooth0,
        "condition-2": {RESIDUAL_FALL: closer_shuffled},
        "fig3-activations": {SATURATION_DROP: sat_init[False] - sat_init[True]},
        "tied-is-symmetric": {TIED_SYMMETRY: score["AE", "sigmoid", False]},
        "table1-wl-cells": {OFF_TABLE1: off_paper(False)},
    }
    return ours, controls


# conservative/03's figures.
DEEPER_RISE = "rise of the deeper model's symmetry"
DEPTH_GAP = "symmetry gap, one layer − deeper"


def family_symmetry_label(d: int) -> str:
    """The label of the mean symmetry of the ood-geometry family's member of latent size ``d`` on MNIST."""
    return f"mean symmetry of J_I on MNIST, d = {d}"


def deeper_figures(sym: Mapping[str, Sequence[float]], sym_permuted: Sequence[float], family_sym: Sequence[float],
                   untrained_sym: Sequence[float],
                   latent_sizes: Sequence[int]) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Every figure conservative/03's claims read, per claim id: ours and the control's (the deeper model with its
    decoder columns permuted; the untrained family). ``sym`` maps ``one hidden layer`` and ``two hidden layers`` to
    the mean symmetry at each snapshot; ``family_sym`` and ``untrained_sym`` hold one score per latent size."""
    deep, shallow = sym["two hidden layers"], sym["one hidden layer"]
    label = family_symmetry_label(latent_sizes[-1])
    ours = {"fig2-desire": {DEEPER_RISE: deep[-1] - deep[0]}, "fig2-harder": {DEPTH_GAP: shallow[-1] - deep[-1]},
            "beyond-ood-family": {label: family_sym[-1]}}
    controls = {"fig2-desire": {DEEPER_RISE: sym_permuted[-1] - sym_permuted[0]},
                "beyond-ood-family": {label: untrained_sym[-1]}}
    return ours, controls
