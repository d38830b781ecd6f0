"""Recipes for paper 001: train atomic and plain autoencoders on spikes and MNIST, and measure what the blocks do."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from aebook.claims import AtLeast, Precondition
from aebook.analysis.disentangle import Disentanglement, disentanglement, match_atoms, r2_table
from aebook.data.mnist import mnist_floats
from aebook.device import model_device
from aebook.data.spikes import spike_atoms, spike_images, spike_parameters
from aebook.models.atomic import AtomicAutoencoder, PlainAutoencoder
from aebook.train import TrainConfig, TrainResult, train
from aebook.training.lifecycle import initial_weights


def mnist_images(size: int, n: int, split: str = "train") -> np.ndarray:
    """MNIST digits as (n, 1, size, size) float32 in [0, 1]: padded from 28 to 32 pixels with zeros, then resized
    bilinearly to ``size`` (×4 for the paper's 128×128; with antialiasing when shrinking)."""
    images = torch.from_numpy(mnist_floats(split, n)[0]).unsqueeze(1)
    images = nn.functional.pad(images, (2, 2, 2, 2))
    if size != 32:
        images = nn.functional.interpolate(images, size=(size, size), mode="bilinear", align_corners=False,
                                          antialias=size < 32)
    return images.clamp(0, 1).numpy()


def train_images(model: nn.Module, images: np.ndarray, *, steps: int, batch_size: int = 64, lr: float = 5e-4,
                 seed: int = 0, name: str = "autoencoder", device: str = "auto") -> TrainResult:
    """Train an autoencoder on images with the mean squared error (Adam, batch 64: the authors' code)."""
    config = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, seed=seed, checkpoint_every=max(steps // 4, 1))
    return train(model, torch.from_numpy(images), config, name=name, device=device)


@torch.no_grad()
def encode_atoms(model: nn.Module, images: np.ndarray, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray | None]:
    """Codes (n, latent) and, for an atomic model, each block's image (n, k, H, W)."""
    dev = model_device(model)
    codes, atoms = [], []
    for i in range(0, len(images), batch_size):
        z = model.encode(torch.from_numpy(images[i : i + batch_size]).to(dev))
        codes.append(z.cpu().numpy())
        if isinstance(model, AtomicAutoencoder):
            atoms.append(model.atoms(z).cpu().numpy())
    return np.concatenate(codes), (np.concatenate(atoms) if atoms else None)


def spike_disentanglement(model: nn.Module, params: np.ndarray, size: int, sigma: float) -> Disentanglement:
    """R² of every latent coordinate against the amplitude, x and y of the spike it belongs to (k·d0 × 3 table).

    Atomic model: each block is matched to a true spike by the Hungarian assignment between its decoded atom and
    the true atoms. Plain model: no blocks, so each coordinate is given the spike (spikes ordered by x) whose three
    factors explain it best. The factors are then the same three for both models.
    """
    images = spike_images(params, size, sigma)
    codes, atoms = encode_atoms(model, images)
    n, k = params.shape[:2]
    if atoms is not None:
        match = match_atoms(atoms, spike_atoms(params, size, sigma))
        d0 = codes.shape[1] // k
        rows = []
        for j in range(k):
            factors = params[np.arange(n), match[:, j]]  # (n, 3) of the spike matched to block j
            rows.append(r2_table(codes[:, j * d0 : (j + 1) * d0], factors))
        return disentanglement(np.concatenate(rows))
    ordered = np.take_along_axis(params, np.argsort(params[:, :, 1], axis=1)[:, :, None], axis=1)
    tables = np.stack([r2_table(codes, ordered[:, i]) for i in range(k)])  # (k spikes, m, 3)
    best = tables.sum(-1).argmax(0)
    return disentanglement(tables[best, np.arange(codes.shape[1])])


def fit_single_spike(atom: np.ndarray, sigma: float) -> tuple[np.ndarray, float]:
    """Fit one Gaussian spike to an image (H, W): position = centroid of the positive part near the peak, amplitude =
    the least-squares one at that position (not the peak pixel, which a spike between pixels does not reach: at
    σ = 1 a perfect spike would then leave a residual up to 0.19); returns (amplitude, x, y) and the relative
    residual ‖atom − fit‖ / ‖atom‖."""
    h, w = atom.shape
    iy, ix = np.unravel_index(np.argmax(atom), atom.shape)
    ys, xs = np.mgrid[0:h, 0:w]
    near = (np.hypot(ys - iy, xs - ix) <= 3 * sigma) & (atom > 0)
    weight = np.where(near, atom, 0)
    total = weight.sum()
    x = float((weight * xs).sum() / total) if total > 0 else float(ix)
    y = float((weight * ys).sum() / total) if total > 0 else float(iy)
    unit = spike_atoms(np.array([[[1.0, x, y]]]), size=h, sigma=sigma)[0, 0].astype(np.float64)
    amplitude = float((atom * unit).sum() / (unit * unit).sum())
    params = np.array([amplitude, x, y])
    return params, float(np.linalg.norm(atom - amplitude * unit) / max(np.linalg.norm(atom), 1e-12))


def train_spike_models(*, size: int, k: int, d0: int, n_train: int, sigma: float, min_separation: float,
                       amplitude: tuple[float, float], steps: int, batch_size: int, lr: float, margin: float = 4.0,
                       seed: int = 0, device: str = "auto") -> tuple[TrainResult, TrainResult, np.ndarray]:
    """The atomic autoencoder and the plain one of the same latent size, trained on the same spike images."""
    params = spike_parameters(n_train, k, size, amplitude, min_separation, margin, seed=seed)
    images = spike_images(params, size, sigma)
    atomic = train_images(AtomicAutoencoder(size, k, d0), images, steps=steps, batch_size=batch_size, lr=lr,
                          seed=seed, name="atomic, spikes", device=device)
    plain = train_images(PlainAutoencoder(size, k * d0), images, steps=steps, batch_size=batch_size, lr=lr,
                         seed=seed, name="plain, spikes", device=device)
    return atomic, plain, params


def initial_model(model: nn.Module, seed: int = 0) -> nn.Module:
    """``model`` at the initial weights ``train`` gives it for ``seed``, on the CPU in evaluation mode: the untrained
    control of a trained run."""
    return initial_weights(model, seed).cpu().eval()


def coordinate_roles(d: Disentanglement, k: int, d0: int) -> np.ndarray:
    """The factor (0 = amplitude, 1 = x, 2 = y) that takes the largest share of each coordinate, as (k, d0)."""
    return d.shares.argmax(1).reshape(k, d0)


def amplitude_position_blocks(d: Disentanglement, k: int, d0: int) -> float:
    """Share of blocks in which exactly one coordinate follows the amplitude and every other one a position (x or
    y): the structure of Fig. 3 (first coordinate → amplitude, the other two → position), up to the order."""
    roles = coordinate_roles(d, k, d0)
    return float(np.mean([(r == 0).sum() == 1 for r in roles]))


def single_spike_share(atoms: np.ndarray, sigma: float, threshold: float = 0.3) -> float:
    """Share of (image, block) atoms (n, k, H, W) that one Gaussian spike fits with relative residual ≤ threshold."""
    resid = [fit_single_spike(a, sigma)[1] for a in atoms.reshape(-1, *atoms.shape[-2:])]
    return float(np.mean(np.asarray(resid) <= threshold))


@torch.no_grad()
def filling_residuals(model: AtomicAutoencoder, codes: np.ndarray, pairs: list[tuple[int, int]], ts: np.ndarray,
                      sigma: float) -> np.ndarray:
    """Mean single-spike fit residual of the blocks' atoms along linear interpolations between code pairs:
    (pairs, len(ts)); columns 0 and -1 are the encoded images themselves."""
    model = model.cpu().eval()
    out = np.zeros((len(pairs), len(ts)))
    for p, (i, j) in enumerate(pairs):
        z = torch.from_numpy(np.stack([(1 - t) * codes[i] + t * codes[j] for t in ts]).astype(np.float32))
        atoms_t = model.atoms(z).numpy()
        out[p] = [np.mean([fit_single_spike(a, sigma)[1] for a in atoms_t[s]]) for s in range(len(ts))]
    return out


def block_cosine(atoms: np.ndarray, weighted: bool = True) -> float:
    """Mean cosine similarity between two different blocks' images of the same input, atoms (n, k, H, W).

    ``weighted``: each pair of blocks counts in proportion to the product of their norms, so that blocks which draw
    almost nothing (near-empty backgrounds) do not dominate the mean.
    """
    n, k = atoms.shape[:2]
    flat = atoms.reshape(n, k, -1).astype(float)
    norm = np.linalg.norm(flat, axis=-1)
    unit = flat / np.maximum(norm, 1e-12)[..., None]
    cos = np.einsum("nip,njp->nij", unit, unit)
    off = ~np.eye(k, dtype=bool)
    w = (norm[:, :, None] * norm[:, None, :]) if weighted else np.ones_like(cos)
    return float((cos * w)[:, off].sum() / max(w[:, off].sum(), 1e-30))


@torch.no_grad()
def interpolation_top_share(model: AtomicAutoencoder, z0: np.ndarray, z1: np.ndarray, n: int) -> np.ndarray:
    """For each of the n − 1 steps of a linear interpolation from z0 to z1, the share of the step's total atom
    change (Σ_j ‖Δg(z_j)‖) carried by the block that changes most: 1 = one block at a time, 1/k = all at once."""
    model = model.cpu().eval()
    ts = np.linspace(0, 1, n)
    z = torch.from_numpy(np.stack([(1 - t) * z0 + t * z1 for t in ts]).astype(np.float32))
    atoms = model.atoms(z).numpy()
    change = np.linalg.norm(np.diff(atoms, axis=0).reshape(n - 1, model.k, -1), axis=-1)
    return change.max(1) / np.maximum(change.sum(1), 1e-30)


def block_pairing(atoms: np.ndarray, singles: np.ndarray, first_atom: tuple[int, int] = (0, 1)
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Which block draws each true spike (the block whose clipped atom overlaps it most), for two blocks and four
    spikes. Returns (split, mixed) per image: the blocks split the spikes two and two, and the two spikes of the
    generating atom ``first_atom`` went to different blocks."""
    overlap = np.einsum("nkhw,nshw->nks", np.clip(atoms, 0, None), singles)
    return pairing_from_owner(overlap.argmax(1), first_atom)


def pairing_from_owner(owner: np.ndarray, first_atom: tuple[int, int] = (0, 1)) -> tuple[np.ndarray, np.ndarray]:
    """(split, mixed) from the block that owns each of four spikes, owner (n, 4) with values in {0, 1}."""
    split = (np.sort(owner, axis=1) == [0, 0, 1, 1]).all(1)
    mixed = split & (owner[:, first_atom[0]] != owner[:, first_atom[1]])
    return split, mixed


def encoder_features(size: int, channels: tuple[int, ...] = (32, 16, 8, 8)) -> int:
    """How many numbers the encoder's dense layers read: the last channels × the side left after the stride-2
    convolutions (8 at 16×16, fewer than the 9 factors of three spikes; 512 at the paper's 128×128)."""
    side = size // 2 ** len(channels)
    return channels[-1] * side * side


#: The figure of the bottleneck precondition: numbers the encoder's dense layers read per number to encode.
BOTTLENECK = "numbers the encoder reads / numbers to encode"


def bottleneck_figure(size: int, n_factors: int) -> dict[str, float]:
    """The bottleneck precondition's figure for images of ``size`` with ``n_factors`` numbers to encode."""
    return {BOTTLENECK: encoder_features(size) / n_factors}


def bottleneck_precondition() -> Precondition:
    """A claim about what the code learns is judged only if the encoder reads at least as many numbers as it must
    encode (at 16×16 it reads 8, so it cannot be one-to-one on three spikes' nine factors)."""
    return Precondition("the encoder reads at least as many numbers as it must encode", AtLeast(BOTTLENECK, 1.0))


def bottleneck_note(size: int, n_factors: int) -> str:
    """A sentence for a claim's note when the encoder reads fewer numbers than the images have factors, else ''."""
    m = encoder_features(size)
    if m >= n_factors:
        return ""
    return (f" Quick profile: at {size}×{size} the encoder's dense layers read {m} numbers, fewer than the "
            f"{n_factors} factors of the images, so the encoder cannot be one-to-one and this row cannot judge the "
            f"paper's claim; the paper profile (512 numbers) can.")


@torch.no_grad()
def navigation_response(model: AtomicAutoencoder, codes: np.ndarray, lo: np.ndarray, hi: np.ndarray, sigma: float,
                        ranges: tuple[float, float, float], n_steps: int = 7) -> np.ndarray:
    """Decoder-side Fig. 3: move each coordinate of each code from ``lo`` to ``hi`` (the others fixed), fit one
    spike to its block's atom along the way, and return (k·d0, 3): the mean spread of the fitted amplitude, x and y,
    each divided by that factor's range in the data (``ranges``)."""
    model = model.cpu().eval()
    k, d0 = model.k, model.d0
    ts = np.linspace(0, 1, n_steps)
    out = np.zeros((k * d0, 3))
    for c in range(k * d0):
        z = np.repeat(codes[:, None, :], n_steps, axis=1).astype(np.float32)  # (n, steps, k·d0)
        z[:, :, c] = lo[c] + ts * (hi[c] - lo[c])
        atoms = model.atoms(torch.from_numpy(z.reshape(-1, k * d0))).numpy()[:, c // d0]
        fits = np.array([fit_single_spike(a, sigma)[0] for a in atoms]).reshape(len(codes), n_steps, 3)
        out[c] = (fits.max(1) - fits.min(1)).mean(0) / np.asarray(ranges)
    return out


def response_blocks(response: np.ndarray, k: int, d0: int, min_response: float = 0.05) -> float:
    """Share of blocks in which exactly one coordinate moves the amplitude most and every other one a position
    (the largest normalised response of ``navigation_response``); a coordinate whose largest response is below
    ``min_response`` of its factor's range moves nothing, and its block fails."""
    roles = response.argmax(1).reshape(k, d0)
    moving = (response.max(1) >= min_response).reshape(k, d0)
    return float(np.mean([(r == 0).sum() == 1 and m.all() for r, m in zip(roles, moving)]))


def response_selectivity(response: np.ndarray, min_response: float = 0.05) -> float:
    """Mean over coordinates of the largest factor's share of the coordinate's total normalised response (1: each
    coordinate moves one factor; 1/3: all three alike); a coordinate whose largest response is below
    ``min_response`` of its factor's range moves nothing and counts 0."""
    total, top = response.sum(1), response.max(1)
    share = np.divide(top, total, out=np.zeros_like(total), where=top >= min_response)
    return float(share.mean())


def proof_mixing_autoencoder(params: np.ndarray, size: int, sigma: float, mix: bool = True) -> np.ndarray:
    """The autoencoder Proposition II.2's proof builds, on images of two atoms of two spikes each (``params`` (n, 4,
    3): spikes 0, 1 make atom 1, spikes 2, 3 atom 2). Its encoder is ρ∘ζ: ζ reads the ideal code θ (here the spikes'
    own parameters, since ζ inverts φ on the images) and ρ swaps θ₁,₂ and θ₂,₁, so block 0 holds (θ₁,₁, θ₂,₁) and
    block 1 (θ₁,₂, θ₂,₂); its decoder draws each block as the sum of its two spikes, g = ψ. Returns the blocks'
    atoms (n, 2, size, size). ``mix=False`` leaves out ρ: the ideal, unmixed autoencoder."""
    order = [0, 2, 1, 3] if mix else [0, 1, 2, 3]
    spikes = spike_atoms(params[:, order], size, sigma)  # (n, 4, H, W), two per block
    return spikes.reshape(len(params), 2, 2, size, size).sum(2)


def _bipartitions(n_params: int) -> list[tuple[int, ...]]:
    """The ways to split coordinates 0..n−1 into two non-empty parts, each given by the part holding coordinate 0."""
    from itertools import combinations

    rest = range(1, n_params)
    return [(0, *c) for r in range(n_params - 1) for c in combinations(rest, r)]


def split_interaction(psi, a: np.ndarray, b: np.ndarray) -> tuple[float, tuple[int, ...]]:
    """Does the atom function ``psi`` (parameters (n, p) → images (n, ...)) break into a sum ψ(θ) = f(θ_P) + g(θ_Q)
    over some split of its p parameters? For pairs of draws ``a``, ``b`` and each split P | Q, the mixed points
    m₁ = (b_P, a_Q) and m₂ = (a_P, b_Q) give the interaction ‖ψ(a) + ψ(b) − ψ(m₁) − ψ(m₂)‖, relative to
    ‖ψ(a) − ψ(m₁)‖ + ‖ψ(b) − ψ(m₂)‖ (summed over the pairs): 0 for every pair when ψ is such a sum over P | Q, at
    most 1 by the triangle inequality, about 0.71 for a product of factors with disjoint supports. Returns the least
    over the splits and that split's part P (its coordinates)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] < 2:
        raise ValueError(f"a and b must be (n, p) with p ≥ 2 and equal shapes, got {a.shape} and {b.shape}")
    pa, pb = psi(a), psi(b)
    best: tuple[float, tuple[int, ...]] = (float("inf"), ())
    for part in _bipartitions(a.shape[1]):
        idx = list(part)
        m1, m2 = a.copy(), b.copy()
        m1[:, idx], m2[:, idx] = b[:, idx], a[:, idx]
        p1, p2 = psi(m1), psi(m2)
        flat = lambda x: x.reshape(len(x), -1).astype(np.float64)
        inter = np.linalg.norm(flat(pa + pb - p1 - p2), axis=1).sum()
        scale = (np.linalg.norm(flat(pa - p1), axis=1) + np.linalg.norm(flat(pb - p2), axis=1)).sum()
        share = float(inter / scale) if scale > 0 else 0.0
        best = min(best, (share, part))
    return best


def spike_psi(size: int, sigma: float):
    """The spike atom of section VI as a function of its parameters (n, 3) = (amplitude, x, y) → (n, size, size)."""
    return lambda theta: spike_atoms(theta[:, None, :], size, sigma)[:, 0]


def spike_pair_psi(size: int, sigma: float, row: float):
    """An atom that is a sum of two simpler ones: two unit spikes on one row, parameters (n, 2) = their x positions."""
    def psi(theta: np.ndarray) -> np.ndarray:
        params = np.stack([np.ones_like(theta), theta, np.full_like(theta, row)], axis=-1)  # (n, 2, 3)
        return spike_atoms(params, size, sigma).sum(1)
    return psi


# atomic/01's figures, each named here once (the notebook's rules, the prose roles and the calibration records read
# them by these names).
DECODER_BLOCKS = "blocks with one amplitude and two position coordinates (decoder)"
DECODER_SELECTIVITY = "decoder selectivity"
ENCODER_BLOCKS = "blocks with one amplitude and two position coordinates (encoder)"
ENCODER_SCORE = "disentanglement score (encoder)"
SCORE_GAIN, PLAIN_SCORE = "score atomic − plain", "score plain"
ONE_SPIKE = "atoms fit by one spike"
FILLING_RATIO, FILLING_ENDS = "fit residual in between / at the ends", "fit residual at the ends"


def spike_figures(response: dict[str, np.ndarray], structured: dict[str, float], scores: dict[str, Disentanglement],
                  one_spike: tuple[float, float], residuals: dict[str, float], *, size: int, k: int,
                  d0: int) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Every figure atomic/01's claims read, per claim id: ours and the control's (the atomic network at its initial
    weights; interpolations extrapolated off the latent set), each with the bottleneck figure its precondition reads.

    ``response``, ``structured`` and ``scores`` are keyed ``atomic``/``untrained`` (``scores`` also ``plain``);
    ``one_spike`` is (trained, untrained); ``residuals`` holds the mean single-spike fit residual at the ``ends``
    of the interpolations, ``between`` them and ``far`` beyond them."""
    bneck = bottleneck_figure(size, 3 * k)

    def nav(name: str) -> dict[str, float]:
        return {DECODER_BLOCKS: response_blocks(response[name], k, d0),
                DECODER_SELECTIVITY: response_selectivity(response[name]),
                ENCODER_BLOCKS: structured[name], ENCODER_SCORE: scores[name].score}

    ends = residuals["ends"]
    ours = {
        "fig3-navigation": {**nav("atomic"), **bneck},
        "atoms-not-size": {SCORE_GAIN: scores["atomic"].score - scores["plain"].score,
                           PLAIN_SCORE: scores["plain"].score, **bneck},
        "one-spike-per-block": {ONE_SPIKE: one_spike[0], **bneck},
        "filling-latent-set": {FILLING_RATIO: residuals["between"] / ends, FILLING_ENDS: ends, **bneck},
    }
    controls = {
        "fig3-navigation": nav("untrained"),
        "one-spike-per-block": {ONE_SPIKE: one_spike[1]},
        "filling-latent-set": {FILLING_RATIO: residuals["far"] / ends, FILLING_ENDS: ends},
    }
    return ours, controls


# atomic/02's figures, each named here once (RELATIVE_MSE, below, is atomic/03's too).
BLOCK_COSINE = "mean cosine between blocks of a digit"
ONE_BLOCK_SHARE = "mean share of a step's change in one block"
ALL_AT_ONCE = "all blocks at once"


def mnist_figures(relative_mse: tuple[float, float], block_similarity: tuple[float, float],
                  top_share: tuple[float, float], *, size: int, k: int,
                  d0: int) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Every figure atomic/02's claims read, per claim id: ours and the control's (the atomic network at its initial
    weights), each of ours with the bottleneck figure its precondition reads. Each argument is (trained, untrained):
    the test error over the mean image's, the mean cosine between a digit's blocks, and the mean share of an
    interpolation step's change that falls in one block."""
    bneck = bottleneck_figure(size, k * d0)
    ours = {
        "fig1-autoencoding": {RELATIVE_MSE: relative_mse[0], **bneck},
        "fig1-strokes": {BLOCK_COSINE: block_similarity[0], **bneck},
        "fig2-one-stroke-at-a-time": {ONE_BLOCK_SHARE: top_share[0], ALL_AT_ONCE: 1 / k, **bneck},
    }
    controls = {
        "fig1-autoencoding": {RELATIVE_MSE: relative_mse[1]},
        "fig1-strokes": {BLOCK_COSINE: block_similarity[1]},
        "fig2-one-stroke-at-a-time": {ONE_BLOCK_SHARE: top_share[1], ALL_AT_ONCE: 1 / k},
    }
    return ours, controls


# atomic/03's figures, each named here once (the notebook's rules, the prose roles and the calibration records read
# them by these names).
MIXED_SHARE = "share of images with mixed blocks"
TWO_AND_TWO = "each block draws two spikes"
RELATIVE_MSE = "test MSE / MSE of the mean image"
PROOF_MIXED = "share of images whose blocks mix the two atoms"
INTERACTION = "least interaction over the splits of ψ's parameters"


def mixing_figures(atoms: np.ndarray, untrained_atoms: np.ndarray, test_x: np.ndarray, train_x: np.ndarray,
                   test_p: np.ndarray, by_x: np.ndarray, *, size: int, sigma: float, row: float, margin: float,
                   seed: int) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]], tuple[int, ...]]:
    """Every figure atomic/03's claims read, per claim id: ours and the control's (the pairing read from the image
    alone, the network at its initial weights, the proof's construction without its mixing map, a sum of two spikes
    in place of the spike atom), and the split of the spike atom's parameters that interacts least.

    ``atoms`` and ``untrained_atoms`` are the trained and the untrained network's atoms of the test images (n, 2, H,
    W); ``test_p`` their spikes' parameters (n, 4, 3); ``by_x`` which block each spike goes to when paired from left
    to right."""
    singles = spike_atoms(test_p, size, sigma)
    baseline = float(((test_x - train_x.mean(0)) ** 2).mean())

    def relative_mse(a: np.ndarray) -> float:
        return float(((a.sum(1, keepdims=True) - test_x) ** 2).mean()) / baseline

    valid, mixed = block_pairing(atoms, singles)
    valid_u, _ = block_pairing(untrained_atoms, singles)
    valid_x, mixed_x = pairing_from_owner(by_x)
    proof = {mix: proof_mixing_autoencoder(test_p, size, sigma, mix=mix) for mix in (True, False)}
    proof_figures = {mix: {RELATIVE_MSE: relative_mse(a), PROOF_MIXED: float(block_pairing(a, singles)[1].mean())}
                     for mix, a in proof.items()}
    n = len(test_p)
    draws = [spike_parameters(n, 1, size, margin=margin, seed=seed + s)[:, 0] for s in (2000, 3000)]
    pair_draws = [np.random.default_rng(seed + s).uniform(margin, size - 1 - margin, (n, 2)) for s in (2000, 3000)]
    psi_share, psi_split = split_interaction(spike_psi(size, sigma), *draws)
    pair_share, _ = split_interaction(spike_pair_psi(size, sigma, row), *pair_draws)
    ours = {
        "prop-ii2-mixing": {MIXED_SHARE: float(mixed.sum() / max(valid.sum(), 1)), TWO_AND_TWO: float(valid.mean())},
        "prop-ii2-two-blocks-suffice": {RELATIVE_MSE: relative_mse(atoms), TWO_AND_TWO: float(valid.mean())},
        "prop-ii2-proof-autoencoder": proof_figures[True],
        "psi-no-such-function": {INTERACTION: psi_share},
    }
    controls = {
        "prop-ii2-mixing": {MIXED_SHARE: float(mixed_x.mean()), TWO_AND_TWO: float(valid_x.mean())},
        "prop-ii2-two-blocks-suffice": {RELATIVE_MSE: relative_mse(untrained_atoms), TWO_AND_TWO: float(valid_u.mean())},
        "prop-ii2-proof-autoencoder": proof_figures[False],
        "psi-no-such-function": {INTERACTION: pair_share},
    }
    return ours, controls, psi_split
