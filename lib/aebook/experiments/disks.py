"""Recipes for paper 000's experiments: train a disk autoencoder on a radius set, then sweep the test radii."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from aebook.analysis import codes, images
from aebook.device import resolve_device
from aebook.data.disks import Interval, fitted_radius, sample_radii, shape_images
from aebook.models.disk_ae import DiskAutoencoder
from aebook.regularisers import (code_amplitude, code_amplitude_of, conv_weight_sum, locality, locality_pairs,
                                 locality_value, weight_l2)
from aebook.stacked import train_stacked
from aebook.train import Callback, TrainConfig, TrainResult, reconstruction_mse, train
from aebook.training.keys import tensor_digest


def train_on_radii(
    model: nn.Module | None = None,
    *,
    size: int = 64,
    n_train: int = 3000,
    r_max: float | None = None,
    exclude: Sequence[Interval] = (),
    steps: int = 1000,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    device: str = "auto",
    name: str = "autoencoder",
    callbacks: Sequence[Callback] = (),
    extra_key: dict[str, Any] | None = None,
    shape: str = "disk",
) -> TrainResult:
    """Train ``model`` (default: the Table 1 autoencoder) on centred shapes, sizes uniform in (0, r_max] minus ``exclude``."""
    r_max = size / 2 if r_max is None else r_max
    radii = sample_radii(n_train, r_max=r_max, exclude=exclude, seed=seed)
    data = torch.from_numpy(shape_images(shape, radii, size))
    config = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, seed=seed)
    model = model if model is not None else DiskAutoencoder(size=size)
    return train(model, data, config, name=name, device=device, callbacks=callbacks, extra_key=extra_key)


#: Paper 000 §3.2.4's regularisers by type: the share of λ each puts on (locality, encoder ℓ2, decoder ℓ2).
REGULARISER_WEIGHTS = {"none": (0.0, 0.0, 0.0), "type 1": (1.0, 0.0, 0.0), "type 2": (0.0, 1.0, 1.0),
                       "type 3": (0.0, 1.0, 0.0)}


def regularised_loss(probe: torch.Tensor) -> Callable[..., tuple[torch.Tensor, dict[str, torch.Tensor]]]:
    """The loss of one member of ``regularised_grid``: reconstruction error plus the three regularisers, each with
    its own weight (zero for the types a member does not use); logs the error and the probe's code amplitude."""

    def loss(model: nn.Module, batch: torch.Tensor, locality: torch.Tensor, encoder_l2: torch.Tensor,
             decoder_l2: torch.Tensor, pairs: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        error = reconstruction_mse(model, batch)
        objective = (error + locality * locality_value(batch, model.encode(batch), pairs)
                     + encoder_l2 * conv_weight_sum(model, ("encoder",))
                     + decoder_l2 * conv_weight_sum(model, ("decoder",)))
        return objective, {"loss": error, "code_amplitude": code_amplitude_of(model, probe)}

    return loss


def regularisation_callbacks(kind: str, lam: float, seed: int, probe: torch.Tensor) -> list[Callback]:
    """The callbacks of a lone run of regulariser ``kind`` at weight ``lam`` (paper 000 §3.2.4), plus the probe's code
    amplitude: ``locality(λ, seed)`` (type 1), ``weight_l2(λ)`` (type 2), ``weight_l2(λ, ("encoder",))`` (type 3)."""
    penalties = {"none": [], "type 1": [locality(lam, seed)], "type 2": [weight_l2(lam)],
                 "type 3": [weight_l2(lam, ("encoder",))]}
    if kind not in penalties:
        raise ValueError(f"unknown regulariser type {kind!r}: use {list(REGULARISER_WEIGHTS)}")
    return [*penalties[kind], code_amplitude(probe)]


def regularised_grid(
    settings: Sequence[tuple[str, float]],
    seeds: Sequence[int],
    probe: torch.Tensor,
    *,
    size: int = 64,
    n_train: int = 3000,
    r_max: float | None = None,
    exclude: Sequence[Interval] = (),
    steps: int = 1000,
    batch_size: int = 64,
    lr: float = 3e-3,
    device: str = "auto",
    make_model: Callable[[], nn.Module] | None = None,
    stacked: bool | None = None,
) -> dict[tuple[int, str, float], TrainResult]:
    """Train one disk autoencoder per seed and (regulariser type, λ) of ``settings`` (paper 000 §3.2.4); keyed
    ``(seed, type, λ)``.

    Each member is ``train_on_radii`` with :func:`regularisation_callbacks`: the same data, batches, pairs and initial
    weights for every member of a seed. ``stacked`` (default: on a GPU only) trains them all as one stacked model,
    one step for all, equal to the lone runs up to float reassociation (tests/test_disks.py holds it to 1e-5); on the
    CPU one after another is 1.4× faster (``bench/stack_or_loop.py``), so there they train alone.
    """
    unknown = {kind for kind, _ in settings} - set(REGULARISER_WEIGHTS)
    if unknown:
        raise ValueError(f"unknown regulariser type(s) {sorted(unknown)}: use {list(REGULARISER_WEIGHTS)}")
    r_max = size / 2 if r_max is None else r_max
    members = [(seed, kind, lam) for seed in seeds for kind, lam in settings]
    if not (resolve_device(device).type == "cuda" if stacked is None else stacked):
        key = {"amplitude_probe": tensor_digest(probe)}
        return {(seed, kind, lam): train_on_radii(
                    make_model() if make_model else None, size=size, n_train=n_train, r_max=r_max, exclude=exclude,
                    steps=steps, batch_size=batch_size, lr=lr, seed=seed, device=device, name=f"{kind} λ={lam:g}",
                    callbacks=regularisation_callbacks(kind, lam, seed, probe),
                    extra_key={**key, "regulariser": kind, "lambda": lam})
                for seed, kind, lam in members}
    data = {seed: torch.from_numpy(shape_images("disk", sample_radii(n_train, r_max=r_max, exclude=exclude,
                                                                     seed=seed), size)) for seed in seeds}
    member_seeds = [seed for seed, _, _ in members]

    def pairs(step: int) -> dict[str, torch.Tensor]:
        return {"pairs": torch.stack([locality_pairs(seed, step, batch_size) for seed in member_seeds])}

    weights = [tuple(lam * w for w in REGULARISER_WEIGHTS[kind]) for _, kind, lam in members]
    results = train_stacked(
        make_model or (lambda: DiskAutoencoder(size=size)), [data[seed] for seed in member_seeds],
        [TrainConfig(steps=steps, batch_size=batch_size, lr=lr, seed=seed) for seed in member_seeds],
        loss=regularised_loss(probe.to(resolve_device(device))), step_args=pairs,
        member_args=[{"locality": a, "encoder_l2": b, "decoder_l2": c} for a, b, c in weights],
        extra_key={"amplitude_probe": tensor_digest(probe)}, device=device)
    return dict(zip(members, results))


@dataclass
class RadiusSweep:
    """A model's behaviour across test radii: inputs, outputs, codes, errors and the radius each output shows."""

    radii: np.ndarray
    inputs: np.ndarray
    outputs: np.ndarray
    codes: np.ndarray
    mse: np.ndarray
    iou: np.ndarray
    r_hat: np.ndarray


def radius_sweep(model: nn.Module, radii: np.ndarray, size: int = 64, shape: str = "disk") -> RadiusSweep:
    """Encode and decode a shape of each size; measure squared error, IoU and the output's fitted size."""
    radii = np.asarray(radii, dtype=float)
    x = shape_images(shape, radii, size)
    z = codes.encode(model, x)
    y = codes.decode(model, z)
    return RadiusSweep(radii, x, y, z, images.mse_per_image(y, x), images.iou(y, x), fitted_radius(y, shape))


def nonblank(images: np.ndarray) -> np.ndarray:
    """Which images have at least one lit pixel (a disk of radius below 1/√2 renders empty on the grid)."""
    return np.asarray(images).reshape(len(images), -1).max(axis=1) > 0


def majority_sign_share(z: np.ndarray) -> float:
    """Share of the codes that carry the sign most of them carry (a code of exactly 0 counts for neither sign)."""
    z = np.asarray(z, dtype=float).ravel()
    return float(max((z > 0).mean(), (z < 0).mean()))


def late_growth(amplitude: Sequence[float], start: float = 0.5, window: float = 0.05) -> float:
    """How much a logged curve grows over the end of training: its mean over the last ``window`` of the steps over
    its mean over the ``window`` of steps around ``start`` (a share of training); 1 means it has settled."""
    a = np.asarray(amplitude, dtype=float)
    w = max(1, int(round(window * len(a))))
    mid = int(round(start * len(a)))
    lo = max(0, mid - w // 2)
    return float(a[-w:].mean() / a[lo:lo + w].mean())


def band_error_ratio(sweep: RadiusSweep, band: np.ndarray, rest: np.ndarray) -> float:
    """Mean squared error on the radii of ``band`` over that on the radii of ``rest`` (boolean masks)."""
    return float(sweep.mse[band].mean() / sweep.mse[rest].mean())


def generic_profile(t: np.ndarray, r_max: float) -> np.ndarray:
    """A generic decreasing radial profile, 1 − (t/R)² (zero beyond R): the control for the optimal profile."""
    t = np.asarray(t, dtype=float)
    return np.clip(1.0 - (t / r_max) ** 2, 0.0, None)


def crossfade(x0: np.ndarray, x1: np.ndarray, n: int) -> np.ndarray:
    """``n`` images blended pixel by pixel from ``x0`` to ``x1``: interpolation without a code, as a control."""
    s = np.linspace(0.0, 1.0, n)[:, None, None]
    return ((1 - s) * np.asarray(x0)[None] + s * np.asarray(x1)[None]).astype(np.float32)


def without_encoder_biases(model: DiskAutoencoder) -> DiskAutoencoder:
    """Remove the biases of the encoder's convolutions in place (the decoder keeps its own) and return the model."""
    for conv in model.encoder_convs:
        conv.register_parameter("bias", None)
    return model


# disks/04's figures: each label is named here once; the notebook's rules, the prose roles and the calibration
# records read them by these names.
BUMP_NONE = "inside/outside none"
BUMP_RATIO = "bump type 3 / none"
HOLE_3_NONE = "hole error type 3 / none"
WORST_SEED = "worst seed"
BEST_LAMBDA = "best λ"
SEEDS = "seeds"
ERROR_2_NONE = "error type 2 / none"
HOLE_2_NONE = "hole error type 2 / none"
HOLE_2_3 = "hole error type 2 / type 3"
HOLE_1_3 = "hole error type 1 / type 3"
HOLE_1_NONE = "hole error type 1 / none"
GROWTH_2 = "late growth type 2"
WORST_SEED_3 = "worst seed's hole error type 3 / none"
POWER, JUMP, R2_AREA, SPEARMAN = "p", "largest jump / code range", "R²(r²)", "Spearman(r, z)"


def code_shape(r: np.ndarray, z: np.ndarray) -> dict[str, float]:
    """How a 1-D code ``z`` follows the radius ``r``: the best power p of z ≈ a·r^p + b, the largest jump between
    neighbouring radii over the code's range, R² of a line in r², and |Spearman ρ| (notebook 01's figures)."""
    from aebook.analysis import fits

    return {POWER: fits.best_power(r, z), JUMP: fits.largest_jump(r, z), R2_AREA: fits.linear_r2(r**2, z),
            SPEARMAN: abs(fits.spearman(r, z))}


def regularisation_figures(runs: dict[tuple[int, str, float], TrainResult], sweeps: dict[tuple, RadiusSweep],
                           best: dict[str, tuple[str, float]], seeds: Sequence[int], r_test: np.ndarray,
                           inside: np.ndarray, outside: np.ndarray,
                           control_band: Interval) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Every figure disks/04's claims read, per claim id: ours, and the control's (the same figure where the effect
    should be absent: a seen band in place of the hole, another regulariser, or no regulariser).

    ``best`` maps each type to its chosen (type, λ); ``inside``/``outside`` are masks over ``r_test`` (the hole, and
    the seen radii from 3 up); figures average over ``seeds`` unless they take the worst seed."""
    from aebook.data.disks import in_intervals

    def per_seed(kind: str) -> list[RadiusSweep]:
        return [sweeps[(seed, *best[kind])] for seed in seeds]

    def mean_error(kind: str, mask: np.ndarray) -> float:
        return float(np.mean([s.mse[mask].mean() for s in per_seed(kind)]))

    def growth(kind: str) -> float:
        return float(np.mean([late_growth(runs[(seed, *best[kind])].history["code_amplitude"]) for seed in seeds]))

    def worst_seed(kind: str) -> float:
        return max(mine.mse[inside].mean() / none.mse[inside].mean()
                   for mine, none in zip(per_seed(kind), per_seed("none")))

    hole = {kind: mean_error(kind, inside) for kind in best}
    ratio = {kind: hole[kind] / hole["none"] for kind in best}
    bump = {kind: hole[kind] / mean_error(kind, outside) for kind in best}
    band = in_intervals(r_test, [tuple(control_band)])
    elsewhere = outside & ~band
    band_bump = {kind: float(np.mean([s.mse[band].mean() / s.mse[elsewhere].mean() for s in per_seed(kind)]))
                 for kind in best}
    every = inside | outside  # every test radius from 3 up, the hole included
    all_error = {kind: mean_error(kind, every) for kind in best}
    z3, z0 = (sweeps[(seeds[0], *best[k])].codes[:, 0] for k in ("type 3", "none"))
    ours = {
        "type3-closes-hole": {BUMP_NONE: bump["none"], BUMP_RATIO: bump["type 3"] / bump["none"],
                              HOLE_3_NONE: ratio["type 3"], WORST_SEED: worst_seed("type 3"),
                              BEST_LAMBDA: best["type 3"][1], SEEDS: len(seeds)},
        "type2-worsens": {ERROR_2_NONE: all_error["type 2"] / all_error["none"], HOLE_2_NONE: ratio["type 2"]},
        "type3-best-in-hole": {BUMP_NONE: bump["none"], HOLE_2_3: hole["type 2"] / hole["type 3"],
                               HOLE_1_3: hole["type 1"] / hole["type 3"]},
        "type3-area": code_shape(r_test, z3),
        "type1-no-help": {BUMP_NONE: bump["none"], HOLE_1_NONE: ratio["type 1"], BEST_LAMBDA: best["type 1"][1]},
        "type2-amplitude": {GROWTH_2: growth("type 2")},
        "type3-consistent-across-runs": {BUMP_NONE: bump["none"], SEEDS: len(seeds),
                                         WORST_SEED_3: worst_seed("type 3")},
    }
    controls = {
        "type3-closes-hole": {BUMP_RATIO: band_bump["type 3"] / band_bump["none"]},
        "type2-worsens": {ERROR_2_NONE: all_error["type 3"] / all_error["none"], HOLE_2_NONE: ratio["type 3"]},
        "type3-area": code_shape(r_test, z0),
        "type1-no-help": {HOLE_1_NONE: ratio["type 3"], BEST_LAMBDA: best["type 3"][1]},
        "type2-amplitude": {GROWTH_2: growth("none")},
        "type3-consistent-across-runs": {WORST_SEED_3: worst_seed("type 2")},
    }
    return ours, controls
