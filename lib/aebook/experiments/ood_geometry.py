"""Recipes for paper 002: train the MNIST family, draw the eleven evaluation sets, and summarise their spectra."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from aebook import budget
from aebook.analysis import eigen_stats as es
from aebook.analysis.family_spectra import family_spectra
from aebook.data.mnist import SIZES, mnist_floats
from aebook.data.noise import NOISE_SETS, noise_images
from aebook.device import resolve_device
from aebook.models.mlp_family import MLPFamily, family_mse
from aebook.train import TrainConfig, TrainResult, train
from aebook.training.lifecycle import initial_weights
from aebook.exactmath import exact_sqrt

#: The name of the training distribution among the evaluation sets.
D_TRAIN = "MNIST (D_train)"
#: The three sets the paper shows in its tables and box plots: bright, moderate, dark.
SHOWN_SETS = ("beta 5 0.8", "truncated normal", "bernoulli 0.13")


def mnist_vectors(split: str = "train") -> np.ndarray:
    """MNIST images of a split ('train', 'test' or 'all' = the 70,000 of both) as float32 vectors in [0, 1]."""
    return mnist_floats(split)[0].reshape(-1, 784)


def evaluation_sets(n_points: int, seed: int = 0, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """D_train (a seeded sample of the 70,000 MNIST images) and the noise sets of paper 002, ``n_points`` each."""
    if n_points < 1:
        raise ValueError(f"n_points must be positive, got {n_points}")
    names = list(NOISE_SETS) if names is None else list(names)
    mnist = mnist_floats("all", min(n_points, SIZES["all"]), seed)[0].reshape(-1, 784)
    return {D_TRAIN: mnist, **{name: noise_images(name, n_points, seed) for name in names}}


def steps_for(epochs: float, n_train: int, batch_size: int) -> int:
    """Optimiser steps that show the model ``epochs`` × ``n_train`` examples in batches of ``batch_size``."""
    if epochs <= 0 or batch_size < 1:
        raise ValueError("epochs and batch_size must be positive")
    return max(1, math.ceil(epochs * n_train / batch_size))


def train_family(
    latent_sizes: Sequence[int],
    *,
    seed: int = 0,
    epochs: float = 300,
    batch_size: int = 256,
    lr: float = 1e-3,
    optimizer: str = "adam",
    n_train: int = 60_000,
    device: str = "auto",
) -> TrainResult:
    """Train one :class:`MLPFamily` (784-128-64-32-d, ReLU, tanh output) on the MNIST training images, all d at once."""
    data = torch.from_numpy(mnist_vectors("train")[:n_train])
    dev = resolve_device(device)
    data = data.to(dev)  # on a GPU the whole of MNIST fits: no copy per step
    config = TrainConfig(steps=steps_for(epochs, len(data), batch_size), batch_size=batch_size, lr=lr, seed=seed,
                         optimizer=optimizer, checkpoint_every=2000)
    family = MLPFamily(latent_sizes)
    return train(family, data, config, loss_fn=family_mse, name=f"family seed {seed}", device=str(dev))


def untrained_family(latent_sizes: Sequence[int], seed: int = 0) -> MLPFamily:
    """The family at the initial weights ``train`` gives it for ``seed``: the control where nothing has been learnt
    from MNIST."""
    return initial_weights(MLPFamily(latent_sizes), seed).eval()


@torch.no_grad()
def reconstruct(family: MLPFamily, images: np.ndarray, batch_size: int = 2048) -> np.ndarray:
    """Every member's reconstruction of ``images`` (n, 784): an array (members, n, 784)."""
    dev = family.mask.device
    out = [family(torch.from_numpy(images[i : i + batch_size]).to(dev)).cpu().numpy()
           for i in range(0, len(images), batch_size)]
    return np.concatenate(out, axis=1)


def _pairwise_rms(a: np.ndarray) -> float:
    """Mean RMS distance over all pairs of rows of ``a`` (n, p)."""
    sq = (a**2).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * a @ a.T, 0) / a.shape[1]
    iu = np.triu_indices(len(a), 1)
    return float(np.sqrt(d2[iu]).mean())


def spread_ratio(ood_recons: np.ndarray, mnist_recons: np.ndarray) -> float:
    """How alike the reconstructions of OOD inputs are: their mean pairwise RMS distance over that of MNIST ones."""
    return _pairwise_rms(ood_recons) / _pairwise_rms(mnist_recons)


def grouped_sameness(noise_recons: dict[str, np.ndarray], set_means: dict[str, float], mnist_recons: np.ndarray,
                     split: float = 0.5) -> float:
    """Sameness within the paper's two brightness groups of input sets (mean < ``split`` and ≥ ``split``, §II-C):
    the larger of the two groups' :func:`spread_ratio`. Low when each group comes back as one image, even if the
    two groups' images differ."""
    unknown = set(noise_recons) - set(set_means)
    if unknown:
        raise ValueError(f"no mean intensity given for the sets {sorted(unknown)}")
    groups = [[n for n in noise_recons if (set_means[n] < split) == dark] for dark in (True, False)]
    ratios = [spread_ratio(np.concatenate([noise_recons[n] for n in g]), mnist_recons)
              for g in groups if sum(len(noise_recons[n]) for n in g) >= 2]
    if not ratios:
        raise ValueError("grouped sameness needs a group of at least two reconstructions")
    return max(ratios)


def nearest_distance(images: np.ndarray, reference: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """RMS distance from each image to its nearest neighbour in ``reference`` (both (n, 784))."""
    ref = torch.from_numpy(reference)
    ref_sq = (ref**2).sum(1)
    out = []
    for i in range(0, len(images), batch_size):
        x = torch.from_numpy(images[i : i + batch_size])
        d2 = (x**2).sum(1, keepdim=True) + ref_sq[None] - 2 * x @ ref.T
        out.append(exact_sqrt(d2.min(1).values.clamp_min(0) / x.shape[1]).numpy())
    return np.concatenate(out)


@dataclass
class SpectralSummary:
    """Per set and latent size, the figures of paper 002's Figs. 1–6. Arrays are indexed [set, member]."""

    latent_sizes: list[int]
    set_names: list[str]
    pixel_mean: np.ndarray
    distance: np.ndarray  # median over points of ‖λ_JI − λ_JL‖²/d
    arith_i: np.ndarray
    geo_i: np.ndarray
    arith_l: np.ndarray
    geo_l: np.ndarray
    geo_nz_i: np.ndarray  # geometric mean of |λ| over the eigenvalues that do not count as zero
    geo_nz_l: np.ndarray
    std_log_i: np.ndarray
    std_log_l: np.ndarray
    reversed_i: np.ndarray  # share of the full-rank points with a negative product of eigenvalues (NaN: none)
    reversed_l: np.ndarray
    arg_mean_i: np.ndarray  # mean |Arg λ| over the eigenvalues that do not count as zero
    arg_mean_l: np.ndarray
    near_zero_i: np.ndarray  # share of eigenvalues that count as zero (|λ| < RANK_TOL · max|λ| of their point)
    near_zero_l: np.ndarray
    singular_i: np.ndarray  # share of points whose d×d map is numerically singular (orientation undefined)
    singular_l: np.ndarray
    rel_distance: np.ndarray  # median over points of ‖λ_JI − λ_JL‖² / (‖λ_JI‖² + ‖λ_JL‖²)
    median_log_i: np.ndarray  # median of log|λ_JI| over the eigenvalues that do not count as zero
    tail_log_i: np.ndarray  # median − 5 % quantile of the same: the length of the left tail (Fig. 3)
    arg_cover_i: np.ndarray  # share of the 10° bins of [0, π] that |Arg λ_JI| reaches (Fig. 6's "any angle")
    samples: dict[str, dict[str, list[np.ndarray]]] = field(default_factory=dict)  # for box plots
    cloud: dict[str, list[np.ndarray]] = field(default_factory=dict)  # λ_JI of the first points, per member

    def row(self, name: str) -> int:
        """Index of a set by name."""
        return self.set_names.index(name)


def spectral_summary(family: MLPFamily, sets: dict[str, np.ndarray], chunk: int = 128, n_samples: int = 2000,
                     keep_points: int = 200, seed: int = 0) -> SpectralSummary:
    """Spectra of every member on every set, reduced set by set to the paper's per-d figures (memory: one set)."""
    dev = family.mask.device
    names = list(sets)
    sizes = list(family.latent_sizes)
    shape = (len(names), len(sizes))
    figs = {k: np.zeros(shape) for k in ("distance", "arith_i", "geo_i", "arith_l", "geo_l", "geo_nz_i", "geo_nz_l",
                                          "std_log_i",
                                          "std_log_l", "reversed_i", "reversed_l", "arg_mean_i", "arg_mean_l",
                                          "near_zero_i", "near_zero_l", "singular_i", "singular_l", "rel_distance",
                                          "median_log_i", "tail_log_i", "arg_cover_i")}
    samples: dict[str, dict[str, list[np.ndarray]]] = {k: {} for k in ("log_i", "log_l", "arg_i", "arg_l")}
    cloud: dict[str, list[np.ndarray]] = {}
    rng = np.random.default_rng(seed)
    for r, name in enumerate(names):
        budget.check_now(f"the spectra of {name}")
        spectra = family_spectra(family, torch.from_numpy(sets[name]).to(dev), chunk)
        cloud[name] = [spec.input_space[:keep_points].numpy() for spec in spectra]
        for k in samples:
            samples[k][name] = []
        for c, spec in enumerate(spectra):
            lam_i, lam_l = spec.input_space.numpy(), spec.latent_space.numpy()
            figs["distance"][r, c] = np.median(es.eigen_distance(lam_i, lam_l))
            figs["rel_distance"][r, c] = np.median(es.relative_eigen_distance(lam_i, lam_l))
            logs = es.nonzero_log_modulus(lam_i)
            figs["median_log_i"][r, c] = float(np.median(logs)) if logs.size else np.nan
            figs["tail_log_i"][r, c] = es.left_tail(lam_i)
            figs["arg_cover_i"][r, c] = es.argument_coverage(lam_i)
            figs["arith_i"][r, c], figs["geo_i"][r, c] = es.arithmetic_mean_modulus(lam_i), es.geometric_mean_modulus(lam_i)
            figs["arith_l"][r, c], figs["geo_l"][r, c] = es.arithmetic_mean_modulus(lam_l), es.geometric_mean_modulus(lam_l)
            figs["geo_nz_i"][r, c] = es.nonzero_geometric_mean_modulus(lam_i)
            figs["geo_nz_l"][r, c] = es.nonzero_geometric_mean_modulus(lam_l)
            figs["std_log_i"][r, c], figs["std_log_l"][r, c] = es.log_modulus_std(lam_i), es.log_modulus_std(lam_l)
            figs["reversed_i"][r, c], figs["reversed_l"][r, c] = es.reversed_share(lam_i), es.reversed_share(lam_l)
            figs["arg_mean_i"][r, c] = es.mean_abs_argument(lam_i)
            figs["arg_mean_l"][r, c] = es.mean_abs_argument(lam_l)
            figs["near_zero_i"][r, c], figs["near_zero_l"][r, c] = es.near_zero(lam_i).mean(), es.near_zero(lam_l).mean()
            figs["singular_i"][r, c], figs["singular_l"][r, c] = es.singular(lam_i).mean(), es.singular(lam_l).mean()
            for k, values in (("log_i", es.log_modulus(lam_i)), ("log_l", es.log_modulus(lam_l)),
                              ("arg_i", es.abs_argument(lam_i)), ("arg_l", es.abs_argument(lam_l))):
                flat = values.ravel()
                flat = flat[np.isfinite(flat)]  # arguments of eigenvalues that count as zero are NaN: dropped
                keep = rng.choice(len(flat), min(n_samples, len(flat)), replace=False)
                samples[k][name].append(flat[keep])
        del spectra
    pixel_mean = np.array([float(sets[name].mean()) for name in names])
    return SpectralSummary(sizes, names, pixel_mean, samples=samples, cloud=cloud, **figs)


def rms_between(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over rows of the RMS distance between corresponding rows of ``a`` and ``b`` (n, p)."""
    return float(np.sqrt(((a - b) ** 2).mean(axis=-1)).mean())


def disagreement_ratio(ood_a: np.ndarray, ood_b: np.ndarray, mnist_a: np.ndarray, mnist_b: np.ndarray) -> float:
    """How much two models disagree on OOD inputs relative to MNIST inputs: RMS between their reconstructions, OOD / MNIST."""
    return rms_between(ood_a, ood_b) / rms_between(mnist_a, mnist_b)


def reconstruction_ratios(family: MLPFamily, noise_sets: dict[str, np.ndarray], digits: np.ndarray,
                          reference: np.ndarray, min_d: int = 8) -> dict[str, np.ndarray | float]:
    """Notebook 01's ratios for one family: ``sameness``, ``grouped_sameness`` and ``novelty`` per member, and ``across_d``
    (mean disagreement over pairs of members with d ≥ ``min_d``), each relative to the same figure on ``digits``."""
    sizes = list(family.latent_sizes)
    per_set = {name: reconstruct(family, x) for name, x in noise_sets.items()}
    noise_rec = np.concatenate(list(per_set.values()), axis=1)
    digit_rec = reconstruct(family, digits)
    sameness = np.array([spread_ratio(noise_rec[i], digit_rec[i]) for i in range(len(sizes))])
    means = {name: float(x.mean()) for name, x in noise_sets.items()}
    grouped = np.array([grouped_sameness({n: r[i] for n, r in per_set.items()}, means, digit_rec[i])
                        for i in range(len(sizes))])
    digit_nn = np.array([np.median(nearest_distance(digit_rec[i], reference)) for i in range(len(sizes))])
    novelty = np.array([np.median(nearest_distance(noise_rec[i], reference)) for i in range(len(sizes))]) / digit_nn
    big = [i for i, d in enumerate(sizes) if d >= min_d]
    pairs = [(i, j) for i in big for j in big if i < j]
    across = (float(np.mean([disagreement_ratio(noise_rec[i], noise_rec[j], digit_rec[i], digit_rec[j])
                             for i, j in pairs])) if pairs else float("nan"))
    return {"sameness": sameness, "grouped_sameness": grouped, "novelty": novelty, "across_d": across}


# --- the figures the claims of notebook 02 judge ---------------------------------------------------------------------

def _noise_rows(summary: SpectralSummary) -> list[int]:
    return [i for i, n in enumerate(summary.set_names) if n != D_TRAIN]


def share_above_mnist(summaries: Sequence[SpectralSummary], key: str, above: bool = True) -> float:
    """Share of (seed, noise set, latent size) where the noise set's figure ``key`` (a SpectralSummary array) is
    above (below, with ``above=False``) MNIST's at the same latent size."""
    hits = [(getattr(s, key)[r] > getattr(s, key)[s.row(D_TRAIN)]) == above
            for s in summaries for r in _noise_rows(s)]
    return float(np.mean(hits))


def median_over_mnist(summaries: Sequence[SpectralSummary], key: str) -> float:
    """How much larger the noise sets' figure ``key`` is than MNIST's at the same latent size: the median over every
    (seed, noise set, latent size) of noise / MNIST (an effect size, where :func:`share_above_mnist` counts signs)."""
    ratios = [getattr(s, key)[r] / getattr(s, key)[s.row(D_TRAIN)] for s in summaries for r in _noise_rows(s)]
    return float(np.median(np.concatenate(ratios)))


def coin_flip(summaries: Sequence[SpectralSummary]) -> dict[str, float]:
    """Fig. 5 at the largest latent size where MNIST has full-rank points: the noise sets' median reversed share and
    its excess over MNIST's, averaged over the summaries (only full-rank points count; NaN if no such size)."""
    out = []
    for s in summaries:
        t, noise = s.row(D_TRAIN), _noise_rows(s)
        ok = [c for c in range(len(s.latent_sizes))
              if s.singular_i[t, c] < 0.5 and np.isfinite(s.reversed_i[noise, c]).all()]
        if not ok:
            out.append((np.nan, np.nan))
            continue
        c = ok[-1]
        med = float(np.median(s.reversed_i[noise, c]))
        out.append((med, med - float(s.reversed_i[t, c])))
    return {"median share reversed (noise)": float(np.mean([o[0] for o in out])),
            "noise − MNIST": float(np.mean([o[1] for o in out]))}


# notebook 02's labels that a rule reads beside another figure of its row, each named here once (the rest are typed
# once, in the notebook's claims cell)
DISTANCE_SHARE = "share of pairs above MNIST, relative distance"
DISTANCE_RATIO = "median noise / MNIST, relative distance"
MEDIANS_VARY = "median over noise sets of how much more their median log|λ| varies over d than MNIST's"
MEDIANS_VARY_SHARE = "share of noise sets whose median log|λ| varies over d at least twice as much as MNIST's"


def eigen_claim_figures(summaries: Sequence[SpectralSummary]) -> dict[str, dict[str, float]]:
    """Every figure the eigenvalue claims judge, per claim, from the summaries of a family's seeds (or of the
    untrained control): the same function gives ours and the control's."""
    from aebook.analysis.fits import spearman

    def at_train(s: SpectralSummary, key: str, col: int | slice = slice(None)) -> np.ndarray:
        return getattr(s, key)[s.row(D_TRAIN), col]

    arith = np.array([at_train(s, "arith_i") for s in summaries])
    geo = np.array([at_train(s, "geo_i") for s in summaries])
    return {
        "distance": {DISTANCE_SHARE: share_above_mnist(summaries, "rel_distance"),
                     DISTANCE_RATIO: median_over_mnist(summaries, "rel_distance")},
        "near-one": {"min arithmetic mean |λ|": float(arith.min()), "min geometric mean |λ|": float(geo.min())},
        "clusters": {"Spearman ρ(pixel mean, mean |λ|)": float(np.mean(
            [spearman(s.pixel_mean[_noise_rows(s)], s.arith_i[_noise_rows(s), -1]) for s in summaries]))},
        "below": {"share of noise sets below MNIST": float(np.mean(
            [(s.arith_i[_noise_rows(s), -1] < at_train(s, "arith_i", -1)).mean() for s in summaries]))},
        "zeros": {"largest share of zero eigenvalues on MNIST": float(max(at_train(s, "near_zero_i").max()
                                                                          for s in summaries))},
        "spread": {"share of pairs above MNIST, zeros left out": share_above_mnist(summaries, "std_log_i")},
        "mnist-rev": {"largest share reversed on MNIST": float(np.nanmax([at_train(s, "reversed_i")
                                                                          for s in summaries]))},
        "coin": coin_flip(summaries),
        "args": {"share of pairs above MNIST": share_above_mnist(summaries, "arg_mean_i")},
        "medians": {MEDIANS_VARY: float(np.mean([_variation_over_mnist(s, s.median_log_i) for s in summaries])),
                    MEDIANS_VARY_SHARE: float(np.mean([_share_varying_more(s, s.median_log_i) for s in summaries]))},
        "tails": {"Spearman ρ(d, left tail of log|λ| on MNIST)": float(np.mean(
            [spearman(np.asarray(s.latent_sizes, float), at_train(s, "tail_log_i")) for s in summaries]))},
        "any-angle": any_angle(summaries),
    }


#: A noise set counts as bright when its mean pixel value is above this (the paper's groups: below, at and above 0.5).
BRIGHT_MEAN = 0.55


def _share_varying_more(s: SpectralSummary, values: np.ndarray, factor: float = 2.0) -> float:
    """Share of the noise sets whose ``values`` (set × latent size) vary over the latent sizes at least ``factor``
    times as much as MNIST's (standard deviation over d): "for each data set", counted set by set."""
    spread = np.nanstd(values, axis=1)
    return float(np.mean(spread[_noise_rows(s)] >= factor * spread[s.row(D_TRAIN)]))


def _variation_over_mnist(s: SpectralSummary, values: np.ndarray) -> float:
    """How much more the noise sets' ``values`` (set × latent size) vary over the latent sizes than MNIST's: the
    median over the noise sets of their standard deviation over d, divided by MNIST's."""
    spread = np.nanstd(values, axis=1)
    return float(np.median(spread[_noise_rows(s)]) / spread[s.row(D_TRAIN)])


def any_angle(summaries: Sequence[SpectralSummary]) -> dict[str, float]:
    """Fig. 6's statement in two figures, averaged over the summaries: how much of [0, π] the arguments of J_I reach
    on the bright sets (the least over them of the mean over latent sizes), and whether that reach shrinks as the
    sets get darker (Spearman ρ between the noise sets' pixel mean and their mean reach)."""
    from aebook.analysis.fits import spearman

    reach, rho = [], []
    for s in summaries:
        noise = _noise_rows(s)
        per_set = np.nanmean(s.arg_cover_i, axis=1)
        bright = [r for r in noise if s.pixel_mean[r] > BRIGHT_MEAN]
        reach.append(float(per_set[bright].min()) if bright else float("nan"))
        rho.append(spearman(s.pixel_mean[noise], per_set[noise]))
    return {"least reach of |Arg λ| over [0, π] on the bright sets": float(np.mean(reach)),
            "Spearman ρ(pixel mean, reach) over the noise sets": float(np.mean(rho))}


#: The four means of §II-D's "far less constant" (their SpectralSummary fields): the geometric ones over the
#: eigenvalues that do not count as zero, since zeros floored at the rank tolerance pull a geometric mean by their
#: share (dead directions at large d), not by anything the paper describes.
LESS_CONSTANT_MEANS = {"arith_i": "arithmetic mean |λ_JI|", "geo_nz_i": "geometric mean |λ_JI|",
                       "arith_l": "arithmetic mean |λ_JL|", "geo_nz_l": "geometric mean |λ_JL|"}

#: How far a noise set's mean |λ_JL| may sit from MNIST's at the smallest latent size and still count as close.
CLOSE_RATIO = 1.5


def latent_claim_figures(summaries: Sequence[SpectralSummary]) -> dict[str, dict[str, float]]:
    """The figures of §II-D's statements on J_L and on how constant the means are across latent sizes, per claim,
    averaged over the summaries (a family's seeds, or the untrained control)."""
    from aebook.analysis.fits import spearman

    varies, far, gap = [], [], []
    for s in summaries:
        t, noise = s.row(D_TRAIN), _noise_rows(s)
        shares = []
        for key in LESS_CONSTANT_MEANS:
            spread = np.log(np.maximum(getattr(s, key), 1e-300)).std(axis=1)  # variation of log(mean) over d, per set
            shares.append(float((spread[noise] > spread[t]).mean()))
        varies.append(shares)
        first = np.abs(np.log(s.arith_l[noise, 0] / s.arith_l[t, 0]))
        far.append(float((first > np.log(CLOSE_RATIO)).mean()))
        rho_i = spearman(s.pixel_mean[noise], s.arith_i[noise, -1])
        rho_l = spearman(s.pixel_mean[noise], s.arith_l[noise, -1])
        gap.append(abs(rho_i) - abs(rho_l))
    per_mean = np.mean(varies, axis=0)  # each mean's share, averaged over the summaries
    less_constant = {f"share of noise sets whose {name} varies more over d than MNIST's": float(v)
                     for name, v in zip(LESS_CONSTANT_MEANS.values(), per_mean)}
    less_constant["median share over the four means"] = float(np.median(per_mean))
    return {"less-constant": less_constant,
            "jl-far": {"share of noise sets far from MNIST's mean |λ_JL| at the smallest d": float(np.mean(far))},
            "jl-no-clusters": {"|ρ| for J_I − |ρ| for J_L (brightness order at the largest d)": float(np.mean(gap))}}


# ood-geometry/01's figures: fixed labels named here once, and the labels that carry a latent size built here.
ACROSS_D = "disagreement across d ≥ 8"
ACROSS_SEEDS = "disagreement across seeds"


def judged_sizes(latent_sizes: Sequence[int]) -> list[int]:
    """Indices of the latent sizes from 12 on (Table I: "by d = 12"), or of the largest when none reaches 12."""
    return [i for i, d in enumerate(latent_sizes) if d >= 12] or [len(latent_sizes) - 1]


def grouped_label(latent_sizes: Sequence[int]) -> str:
    """The label of the largest within-group sameness over the judged latent sizes."""
    return f"largest sameness within brightness groups, d ≥ {latent_sizes[judged_sizes(latent_sizes)[0]]}"


def pooled_label(latent_sizes: Sequence[int]) -> str:
    """The label of the sameness of all noise sets pooled, at the largest latent size."""
    return f"sameness, all sets pooled, at d = {latent_sizes[-1]}"


def novelty_label(d: int) -> str:
    """The label of the novelty of noise reconstructions at latent size ``d``."""
    return f"novelty at d = {d}"


def family_figures(sameness: dict[int, np.ndarray], grouped: dict[int, np.ndarray], novelty: dict[int, np.ndarray],
                   across_d: float, across_seeds: float | None, control: dict[str, Any], latent_sizes: Sequence[int],
                   seeds: Sequence[int]) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Every figure ood-geometry/01's claims read, per claim id: ours (averaged over ``seeds``) and the untrained
    family's (``control``, from :func:`reconstruction_ratios`). ``sameness``, ``grouped`` and ``novelty`` map each
    seed to one ratio per latent size; the across-seeds row is left out when ``across_seeds`` is None (one seed)."""
    big = judged_sizes(latent_sizes)
    low, high = novelty_label(latent_sizes[0]), novelty_label(latent_sizes[-1])
    grouped_key, pooled_key = grouped_label(latent_sizes), pooled_label(latent_sizes)
    ours = {
        "one-character": {grouped_key: float(np.mean([max(grouped[s][i] for i in big) for s in seeds])),
                          pooled_key: float(np.mean([sameness[s][-1] for s in seeds]))},
        "digits-at-low-d": {low: float(np.mean([novelty[s][0] for s in seeds]))},
        "generalised-character": {high: float(np.mean([novelty[s][-1] for s in seeds]))},
        "unstable-across-d": {ACROSS_D: across_d},
    }
    controls = {
        "one-character": {grouped_key: float(max(control["grouped_sameness"][i] for i in big)),
                          pooled_key: float(control["sameness"][-1])},
        "digits-at-low-d": {low: float(control["novelty"][0])},
        "generalised-character": {high: float(control["novelty"][-1])},
        "unstable-across-d": {ACROSS_D: control["across_d"]},
    }
    if across_seeds is not None:
        ours["unstable-across-seeds"] = {ACROSS_SEEDS: across_seeds}
    return ours, controls
