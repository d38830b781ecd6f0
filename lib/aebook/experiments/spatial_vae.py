"""Experiments of the spatial-vae chapter (paper 004): build and train the VAE family, evaluate, sample, measure."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from aebook import budget
from aebook.data.mnist import mnist_floats
from aebook.device import model_device, resolve_device
from aebook.geometry import affine_from_offsets, affine_from_pose
from aebook.models.vae import (VAE, DeepTransformerVAE, FarPoseTransformerVAE, TransformerVAE,
                              bernoulli_log_likelihood, elbo, log_marginal, negative_elbo)
from aebook.train import TrainConfig, TrainResult, train
from aebook.exactmath import exact_sqrt

#: The four architectures of Fig. 5 and Table 1, with their labels in the book.
KINDS = {"vae": "VAE", "affine-tvae": "affine T-VAE", "tps-tvae": "TPS T-VAE", "affine-dtvae": "affine DTVAE"}


#: The pose each T-VAE kind warps with (the DTVAE's localiser always gives six affine cells).
TVAE_POSES = {"affine-tvae": "affine", "interpretable-tvae": "interpretable", "tps-tvae": "tps"}


def build(kind: str, z_dim: int, prior: str = "none", pose_rank: int | None = None, init: str = "identity",
          pose_scale: float = 0.1) -> VAE:
    """A model of one of :data:`KINDS` (or 'interpretable-tvae') with a code of ``z_dim``; prior, rank, init and the
    initial pose spread apply to the T-VAEs. ``init='far'`` (affine T-VAE, no prior only) starts the pose at a random
    affine map far from the identity (:class:`FarPoseTransformerVAE`)."""
    if init == "far":
        if kind != "affine-tvae" or prior != "none":
            raise ValueError("init='far' exists for the affine T-VAE without a pose prior only")
        return FarPoseTransformerVAE(z_dim)
    if kind == "vae":
        return VAE(z_dim)
    if kind in TVAE_POSES:
        return TransformerVAE(z_dim, TVAE_POSES[kind], prior, pose_rank, init=init, pose_scale=pose_scale)
    if kind == "affine-dtvae":
        return DeepTransformerVAE(z_dim)
    raise ValueError(f"unknown model kind {kind!r}: use one of {', '.join([*KINDS, 'interpretable-tvae'])}")


def pose_size(kind: str) -> int:
    """dim u of a kind (0 for the VAE): what Fig. 5 adds to dim z."""
    return build(kind, 1).pose_dim


def untrained(kind: str, z_dim: int, seed: int = 0) -> VAE:
    """A model of ``kind`` at its initial weights (seeded as :func:`aebook.train.train` seeds them), in evaluation
    mode: the control in which nothing has been learned."""
    torch.manual_seed(seed)
    return build(kind, z_dim).eval()


def mnist_split(split: str, n: int, seed: int = 0) -> tuple[torch.Tensor, np.ndarray]:
    """``n`` MNIST digits of ``split`` drawn without replacement with ``seed``: images (n, 1, 28, 28) in [0, 1], labels."""
    images, labels = mnist_floats(split, n, seed)
    return torch.from_numpy(images).unsqueeze(1), labels


def vae_config(n: int, *, epochs: int, batch_size: int = 100, lr: float = 1.0, seed: int = 0) -> TrainConfig:
    """Adadelta (Lasagne's defaults, as in the thesis) for ``epochs`` passes over ``n`` images."""
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    steps = epochs * math.ceil(n / batch_size)
    return TrainConfig(steps=steps, batch_size=batch_size, lr=lr, seed=seed, optimizer="adadelta",
                       checkpoint_every=max(steps // 4, 1))


def train_vae(model: VAE, images: torch.Tensor, *, epochs: int, batch_size: int = 100, lr: float = 1.0,
              seed: int = 0, name: str = "VAE", device: str = "auto") -> TrainResult:
    """Maximise the ELBO with Adadelta for ``epochs`` passes over ``images`` (:func:`vae_config`)."""
    config = vae_config(len(images), epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)
    return train(model, images, config, loss_fn=negative_elbo, name=name, device=device)


def fit(kind: str, z_dim: int, images: torch.Tensor, *, epochs: int, batch_size: int = 100, seed: int = 0,
        device: str = "auto", prior: str = "none", pose_rank: int | None = None, init: str = "identity",
        pose_scale: float = 0.1, name: str | None = None) -> VAE:
    """Train (or load from the cache) one model of ``kind`` and return it in evaluation mode, on the device it
    trained on: every function here moves its inputs to the model's device and hands back results on the CPU, so
    evaluation, importance sampling and sampling run on a GPU when there is one."""
    model = build(kind, z_dim, prior, pose_rank, init, pose_scale)
    name = name or f"{KINDS.get(kind, kind)} z={z_dim}" + ("" if prior == "none" else f" {prior}")
    return train_vae(model, images, epochs=epochs, batch_size=batch_size, seed=seed, name=name,
                     device=device).model.eval()


def fit_seeds(kind: str, z_dim: int, images: torch.Tensor, seeds: Sequence[int], *, epochs: int,
              batch_size: int = 100, device: str = "auto", init: str = "identity") -> list[VAE]:
    """One model of ``kind`` per seed (the minima of spatial-vae/04), in evaluation mode on their device.

    On a GPU they train as one stacked run (:func:`aebook.stacked.train_stacked`, one step for all of them, replayed
    as a CUDA graph): each member starts from the weights and draws the batches its lone run would, but draws its own
    noise, so it matches a lone run in distribution rather than bit for bit. Elsewhere each is :func:`fit` in turn,
    the run the committed outputs were made with."""
    if resolve_device(device).type != "cuda":
        return [fit(kind, z_dim, images, epochs=epochs, batch_size=batch_size, seed=s, device=device, init=init)
                for s in seeds]
    from aebook.stacked import train_stacked

    configs = [vae_config(len(images), epochs=epochs, batch_size=batch_size, seed=s) for s in seeds]
    with warnings.catch_warnings():  # vmap runs affine_grid member by member (no batching rule): slower, not wrong
        warnings.filterwarnings("ignore", message=".*batching rule for aten::affine_grid_generator")
        runs = train_stacked(lambda: build(kind, z_dim, init=init), images, configs, loss=negative_elbo,
                             randomness="different", extra_key={"kind": kind, "z_dim": z_dim, "init": init},
                             device=device)
    return [run.model.eval() for run in runs]


def text_table(header: list[str], rows: list[list[object]]) -> str:
    """A plain-text table with aligned columns (floats to one decimal place)."""
    cells = [header] + [[f"{v:.1f}" if isinstance(v, (float, np.floating)) else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(r, widths))) for r in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


@torch.no_grad()
def evaluate(model: VAE, x: torch.Tensor, samples: int = 1, seed: int = 0, batch: int = 1000) -> dict[str, float]:
    """Mean ELBO, likelihood term and KL per image (nats) on ``x``, with ``samples`` draws of the codes."""
    model.eval()
    torch.manual_seed(seed)
    parts = [elbo(model, x[i : i + batch].to(model_device(model)), samples) for i in range(0, len(x), batch)]
    bound, like, kl = (torch.cat([p[k] for p in parts]).mean().item() for k in range(3))
    return {"elbo": bound, "likelihood": like, "kl": kl, "reconstruction error": -like}


@torch.no_grad()
def encode(model: VAE, x: torch.Tensor, batch: int = 1000) -> tuple[np.ndarray, np.ndarray | None]:
    """Posterior means of the code z (n, z_dim) and of the pose u (n, pose_dim; None for the VAE)."""
    model.eval()
    codes, poses = [], []
    for i in range(0, len(x), batch):
        mu, _ = model.encode(x[i : i + batch].to(model_device(model)))
        codes.append(mu.cpu())
        pose = model.pose_mean()
        if pose is not None:
            poses.append(pose.cpu())
    return torch.cat(codes).numpy(), (torch.cat(poses).numpy() if poses else None)


@torch.no_grad()
def reconstructions(model: VAE, x: torch.Tensor, batch: int = 1000) -> np.ndarray:
    """The model's mean reconstructions of ``x`` (n, 28, 28): μ(x) decoded at the pose's posterior mean."""
    model.eval()
    dev = model_device(model)
    return torch.cat([model(x[i : i + batch].to(dev)).cpu() for i in range(0, len(x), batch)])[:, 0].numpy()


def mean_pose(model: VAE, x: torch.Tensor) -> torch.Tensor | None:
    """The average pose observed on ``x`` (the thesis samples at it), or None for the VAE."""
    poses = encode(model, x)[1]
    return None if poses is None else torch.from_numpy(poses.mean(0))


@torch.no_grad()
def decode_at(model: VAE, z: torch.Tensor, pose: torch.Tensor | None) -> np.ndarray:
    """Images (n, 28, 28) of Bernoulli probabilities for codes ``z`` warped by ``pose`` (one pose or one per code)."""
    model.eval()
    z = z.to(model_device(model))
    if pose is not None:
        pose = pose.to(z.device).expand(len(z), -1) if pose.dim() == 1 else pose.to(z.device)
    return model.decode(z, pose)[:, 0].cpu().numpy()


@torch.no_grad()
def reference_images(model: VAE, z: torch.Tensor) -> np.ndarray:
    """The decoder's images y' before any warp (n, 28, 28): the reference pose."""
    model.eval()
    return model.image(z.to(model_device(model)))[:, 0].cpu().numpy()


def prior_codes(n: int, z_dim: int, seed: int = 0) -> torch.Tensor:
    """``n`` codes drawn from N(0, I) with ``seed``."""
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))


def latent_grid(steps: int = 15, span: float = 2.0) -> torch.Tensor:
    """A steps × steps grid of 2-D codes over [−span, span]², row by row (z₂ decreasing down the rows)."""
    axis = torch.linspace(-span, span, steps)
    z2, z1 = torch.meshgrid(-axis, axis, indexing="ij")
    return torch.stack([z1.flatten(), z2.flatten()], dim=1)


def pixel_entropy(probs: np.ndarray) -> np.ndarray:
    """Mean binary entropy (bits per pixel) of each image of Bernoulli probabilities: 0 for a sharp black-and-white
    picture, 1 for a grey blur of p = 0.5 everywhere."""
    p = np.clip(probs.reshape(len(probs), -1).astype(np.float64), 1e-12, 1 - 1e-12)
    return (-(p * np.log2(p) + (1 - p) * np.log2(1 - p))).mean(1)


def edge_sharpness(probs: np.ndarray) -> np.ndarray:
    """Mean gradient magnitude of each image divided by its mean intensity: larger for crisper strokes."""
    gy, gx = np.gradient(probs.astype(np.float64), axis=(1, 2))
    return np.hypot(gx, gy).mean((1, 2)) / probs.mean((1, 2))


def svm_accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, *, C: float = 1.0,
                 folds: int = 9, seed: int = 0) -> tuple[float, float, float]:
    """Linear SVM (liblinear's primal solver) on the features as they are: mean and std of the ``folds``-fold
    cross-validated accuracy on the training set, and the accuracy on the test set after fitting on all of it (%).
    Standardising was tried and dropped: on raw pixels it blows up the near-constant border pixels, is 400× slower
    and less accurate. The folds are fitted in threads (``$AEBOOK_ANALYSIS_WORKERS``; liblinear runs without the
    GIL); each fold's fit does not depend on the others, so the figures are those of fitting them one by one."""
    from joblib import parallel_config
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.svm import LinearSVC

    from aebook.analysis.family_spectra import analysis_workers

    def svm() -> LinearSVC:
        return LinearSVC(C=C, dual=False, max_iter=5000)

    budget.check_now("the SVM's cross-validation")
    workers = min(analysis_workers(), folds)
    with parallel_config(backend="threading"):
        scores = cross_val_score(svm(), train_x, train_y, n_jobs=workers,
                                 cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
    test = svm().fit(train_x, train_y).score(test_x, test_y)
    return 100 * float(scores.mean()), 100 * float(scores.std()), 100 * float(test)


def pca_features(train_x: np.ndarray, test_x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Projections of train and test images on the first ``k`` principal axes of the training images."""
    from sklearn.decomposition import PCA

    pca = PCA(k, random_state=0).fit(train_x)
    return pca.transform(train_x), pca.transform(test_x)


@torch.no_grad()
def pose_grids(model: VAE, poses: torch.Tensor) -> torch.Tensor:
    """The sampling grids (n, side, side, 2) of poses, in [−1, 1] coordinates."""
    poses = poses.to(model_device(model))
    if getattr(model, "tps", None) is not None:
        return model.tps.grid(poses)
    theta = affine_from_pose(poses) if getattr(model, "pose", "affine") == "interpretable" else affine_from_offsets(poses)
    return nn.functional.affine_grid(theta, [len(poses), 1, model.side, model.side], align_corners=False)


def warp_range(model: VAE, poses: torch.Tensor, centre: torch.Tensor) -> float:
    """RMS displacement in pixels between the grids of ``poses`` and the grid of the pose ``centre``."""
    grids = pose_grids(model, poses)
    middle = pose_grids(model, centre.view(1, -1))
    return float(exact_sqrt(((grids - middle) ** 2).sum(-1).mean()) * model.side / 2)


def rotation_angles(model: VAE, poses: np.ndarray) -> np.ndarray:
    """The rotation (radians) of each pose's affine map: atan2(θ₁₀ − θ₀₁, θ₀₀ + θ₁₁), the angle of its closest
    rotation in the least-squares sense."""
    p = torch.from_numpy(poses)
    theta = affine_from_pose(p) if getattr(model, "pose", "affine") == "interpretable" else affine_from_offsets(p)
    return torch.atan2(theta[:, 1, 0] - theta[:, 0, 1], theta[:, 0, 0] + theta[:, 1, 1]).numpy()


def circular_offset(estimated: np.ndarray, true: np.ndarray) -> tuple[float, float]:
    """Circular mean and circular standard deviation (degrees) of estimated − true angles: a mean near 0 means the
    reference pose is upright, a small spread that the pose tracks the rotation."""
    d = np.exp(1j * (estimated - true))
    r = abs(d.mean())
    return float(np.degrees(np.angle(d.mean()))), float(np.degrees(math.sqrt(-2 * math.log(max(r, 1e-12)))))


def minimum_profile(model: VAE, x: torch.Tensor) -> dict[str, float | str]:
    """What the decoder's pre-warp image y' looks like (Fig. 12): its ink relative to the input's (above 1: the
    digit drawn larger than it appears, the promising minimum), its variety across inputs relative to the inputs'
    (near 0: one template bent by the pose), and a label: 'zoomed in', 'template', 'shrunk' or 'as the input'."""
    codes, _ = encode(model, x)
    y = reference_images(model, torch.from_numpy(codes))
    xs = x[:, 0].numpy()
    area = float(y.sum((1, 2)).mean() / xs.sum((1, 2)).mean())
    variety = float(y.var(0).mean() / xs.var(0).mean())
    label = "template" if variety < 0.25 else "shrunk" if area < 0.8 else "zoomed in" if area > 1.25 else "as the input"
    return {"ink ratio": area, "variety ratio": variety, "kind": label}


def importance_gap(model: VAE, x: torch.Tensor, samples: int = 500, seed: int = 0,
                   batch: int = 250) -> dict[str, np.ndarray]:
    """Per image: log p(x) by importance sampling, the ELBO (same number of draws), their gap (= KL(q ‖ p(z|x))) and
    KL(q(z|x) ‖ p(z)), section VI."""
    model.eval()
    torch.manual_seed(seed)
    out: dict[str, list[torch.Tensor]] = {"log p(x)": [], "elbo": [], "kl": []}
    with torch.no_grad():
        for i in range(0, len(x), batch):
            budget.check_now("importance sampling")
            xb = x[i : i + batch].to(model_device(model))
            out["log p(x)"].append(log_marginal(model, xb, samples).cpu())
            bound, _, kl = elbo(model, xb, samples)
            out["elbo"].append(bound.cpu())
            out["kl"].append(kl.cpu())
    result = {k: torch.cat(v).numpy() for k, v in out.items()}
    result["gap"] = result["log p(x)"] - result["elbo"]
    return result


@torch.no_grad()
def fixed_pose_error(model: VAE, x: torch.Tensor, pose: torch.Tensor, seed: int = 0, batch: int = 1000) -> float:
    """Reconstruction error (nats per image, one draw of z) when every image is warped by the one ``pose`` instead of
    its own: the model without the per-digit pose the thesis credits (the DTVAE still un-warps with its own)."""
    model.eval()
    torch.manual_seed(seed)
    out = []
    for i in range(0, len(x), batch):
        xb = x[i : i + batch].to(model_device(model))
        mu, log_sigma = model.encode(xb)
        probs = model.decode(mu + log_sigma.exp() * torch.randn_like(mu), pose.to(xb.device).expand(len(xb), -1))
        out.append(-bernoulli_log_likelihood(xb, probs).cpu())
    return float(torch.cat(out).mean())


@torch.no_grad()
def warp_like(model: VAE, images: np.ndarray, pose: torch.Tensor) -> np.ndarray:
    """Images (n, 28, 28) warped by ``model``'s warp at one ``pose`` and clipped as its outputs are (zero padding
    outside): what the warp alone does to the blur metric."""
    t = torch.from_numpy(np.asarray(images, dtype=np.float32)).unsqueeze(1).to(model_device(model))
    return model.warp_pose(t, pose.to(t.device).expand(len(t), -1)).clamp(1e-6, 1 - 1e-6)[:, 0].cpu().numpy()


def accuracy_se(accuracy: float, n: int) -> float:
    """Binomial standard error (points) of a test accuracy of ``accuracy`` % measured on ``n`` digits."""
    p = min(max(accuracy / 100, 0.0), 1.0)
    return 100 * math.sqrt(p * (1 - p) / n)


def svm_test_accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, *,
                      C: float = 1.0) -> float:
    """Test accuracy (%) of the linear SVM of :func:`svm_accuracy` fitted once on all the training features (no CV)."""
    from sklearn.svm import LinearSVC

    return 100 * float(LinearSVC(C=C, dual=False, max_iter=5000).fit(train_x, train_y).score(test_x, test_y))


@torch.no_grad()
def draw_displacements(model: VAE, poses: torch.Tensor, centre: torch.Tensor) -> np.ndarray:
    """RMS displacement in pixels of each pose's sampling grid from the grid of the pose ``centre`` (one per pose)."""
    grids = pose_grids(model, poses)
    middle = pose_grids(model, centre.view(1, -1))
    return (exact_sqrt(((grids - middle) ** 2).sum(-1).mean((1, 2))) * model.side / 2).cpu().numpy()


def extreme_share(model: VAE, drawn: torch.Tensor, data_poses: torch.Tensor, q: float = 99.0) -> float:
    """Share of ``drawn`` poses displaced (from the data's mean pose) further than the ``q``-th percentile of the
    data's own poses. Unlike :func:`warp_range`'s mean, the tail of the displacement responds to the covariance of
    the poses, not only to their marginal variances."""
    centre = data_poses.mean(0)
    limit = np.percentile(draw_displacements(model, data_poses, centre), q)
    return float((draw_displacements(model, drawn, centre) > limit).mean())


def shuffle_columns(poses: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """The same draws with each pose parameter permuted independently: exactly the same marginals, no covariance
    (a diagonal-covariance control)."""
    g = torch.Generator().manual_seed(seed)
    return torch.stack([col[torch.randperm(len(col), generator=g)] for col in poses.T], dim=1)


def untrained_code_accuracy(code_sizes: list[int], seed: int, x_train: torch.Tensor, y_train: np.ndarray,
                            x_test: torch.Tensor, y_test: np.ndarray, *, n_svm: int, C: float) -> dict[str, float]:
    """Table 1's control: the test accuracy of a linear SVM on the codes of each kind and size *before* training
    (initial weights at ``seed``), fitted once on the first ``n_svm`` training digits, keyed like Table 1's rows."""
    out = {}
    for size in code_sizes:
        for kind, label in KINDS.items():
            model = untrained(kind, size, seed)
            out[f"{label} ({size})"] = svm_test_accuracy(encode(model, x_train)[0][:n_svm], y_train[:n_svm],
                                                         encode(model, x_test)[0], y_test, C=C)
    return out


def slant_spread(model: VAE, z: torch.Tensor, pose: torch.Tensor | None) -> float:
    """Standard deviation over samples of the ink's slant (:func:`aebook.analysis.images.ink_slant`) of the images
    decoded from codes ``z`` at ``pose`` (one pose, one per code, or None for the VAE)."""
    from aebook.analysis.images import ink_slant

    return float(np.nanstd(ink_slant(decode_at(model, z, pose))))


def upright_figures(models: dict[tuple[str, int], VAE], x_train: torch.Tensor, totals: list[int], n: int,
                    seed: int = 0) -> tuple[dict[str, float], dict[str, float]]:
    """Are the transformer models' prior samples upright, unlike the VAE's (§V.i)? For each transformer model and
    total latent size, the slant spread of ``n`` prior samples at the mean training pose over the VAE's at the same
    total; the largest such ratio is ours. The control warps the same codes by the poses of ``n`` training digits
    (each sample its own digit's posterior pose), which puts the data's slants back."""
    poses_of = lambda m: torch.from_numpy(encode(m, x_train[:n])[1])
    ours, control = [], []
    for total in totals:
        if ("vae", total) not in models:
            continue
        vae_spread = slant_spread(models["vae", total], prior_codes(n, total, seed), None)
        for kind in KINDS:
            key = (kind, total - pose_size(kind))
            if kind == "vae" or key not in models:
                continue
            m, z = models[key], prior_codes(n, key[1], seed)
            ours.append(slant_spread(m, z, mean_pose(m, x_train)) / vae_spread)
            control.append(slant_spread(m, z, poses_of(m)) / vae_spread)
    return {UPRIGHT: max(ours)}, {UPRIGHT: max(control)}


def prior_posterior_samples(model: VAE, x: torch.Tensor, seed: int = 0, matched: bool = False) -> dict[str, float]:
    """§VI: samples decoded from the prior against samples decoded from the approximate posterior (one z ~ q(z|x)
    per digit of ``x``, as many as prior draws), for a plain VAE: the ratio of their mean pixel entropies (above 1:
    the prior's samples are blurrier, so the prior and the aggregate posterior differ).

    ``matched=True`` is the claim's control: the "prior" draws come from a normal with the aggregate posterior's own
    mean and variance in each coordinate (the posterior codes of ``x``), a prior that does not differ from the
    posterior in those."""
    if type(model) is not VAE:
        raise ValueError(f"prior_posterior_samples reads a plain VAE (no pose), got {type(model).__name__}")
    model.eval()
    with torch.no_grad():
        mu, log_sigma = model.encode(x.to(model_device(model)))
        noise = torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed)).to(mu.device)
        codes = mu + log_sigma.exp() * noise
        posterior = decode_at(model, codes, None)
    draws = prior_codes(len(x), model.z_dim, seed + 1)
    if matched:
        draws = codes.mean(0).cpu() + codes.std(0).cpu() * draws
    prior = decode_at(model, draws, None)
    return {"pixel entropy, prior samples / posterior samples": float(pixel_entropy(prior).mean()
                                                                       / pixel_entropy(posterior).mean())}


def latent_size_comparisons(models: dict[tuple[str, int], VAE], scores: dict[tuple[str, int], dict[str, float]],
                            entropy: dict[tuple[str, int], float], x_train: torch.Tensor, x_test: torch.Tensor,
                            totals: list[int], n_samples: int, seed: int = 0) -> dict[str, dict]:
    """What notebook 01's claims compare, from its models (keyed (kind, dim z)), their test scores and the entropy of
    their prior samples (keyed (kind, total)): per (transformer kind, total) the reconstruction ``gain`` over the VAE
    and the same gain with every digit warped by the mean pose (``fixed_gain``); per kind the ``mean_gain`` and the
    entropy ``growth`` from the smallest to the largest total; per total whether the affine T-VAE is ``sharper`` than
    the VAE, the entropy of the VAE's samples warped by the affine T-VAE's mean pose (``warped_vae``) and of a second
    draw of the affine T-VAE's samples (``second_draw``)."""
    at = lambda kind, total: (kind, total - pose_size(kind))
    vae_error = {z: s["reconstruction error"] for (k, z), s in scores.items() if k == "vae"}
    pairs = [(kind, total) for kind in KINDS if kind != "vae" for total in totals
             if at(kind, total) in scores and total in vae_error]
    gain = {p: vae_error[p[1]] - scores[at(*p)]["reconstruction error"] for p in pairs}
    fixed_gain = {p: vae_error[p[1]] - fixed_pose_error(models[at(*p)], x_test, mean_pose(models[at(*p)], x_train))
                  for p in pairs}
    affine = {t: models[at("affine-tvae", t)] for t in totals}
    return {
        "gain": gain,
        "fixed_gain": fixed_gain,
        "mean_gain": {kind: np.mean([g for (k, _), g in gain.items() if k == kind]) for kind in KINDS if kind != "vae"},
        "growth": {kind: entropy[(kind, totals[-1])] / entropy[(kind, totals[0])] for kind in KINDS
                   if (kind, totals[0]) in entropy},
        "sharper": {t: entropy[("affine-tvae", t)] < entropy[("vae", t)] for t in totals},
        "warped_vae": {t: float(pixel_entropy(warp_like(
            affine[t], decode_at(models[("vae", t)], prior_codes(n_samples, t, seed), None),
            mean_pose(affine[t], x_train))).mean()) for t in totals},
        "second_draw": {t: float(pixel_entropy(decode_at(
            affine[t], prior_codes(n_samples, t - pose_size("affine-tvae"), seed + 1),
            mean_pose(affine[t], x_train))).mean()) for t in totals},
    }


# notebook 01's figures: each label is named here once; the notebook's rules, the prose roles and the calibration
# records read them by these names.
UPRIGHT = "largest slant spread of a transformer model's samples / the VAE's"
PAIRS_BELOW_VAE = "share of (model, size) pairs below the VAE"
GAIN_RATIO = "smaller of TPS, DTVAE mean gain / affine T-VAE mean gain"
ENTROPY_GROWTH = "entropy at largest / smallest size"
SIZES_SHARPER = "share of sizes where the affine T-VAE is sharper"
GROWTH_RATIO = "model entropy growth / VAE entropy growth"
SIZES_SHARPER_THAN_MODEL = "share of sizes where the affine T-VAE is sharper than the model"
TPS_AT_30 = "model / affine T-VAE entropy at 30"
OPTIMUM_STEPS = "|best size − 25| in steps of the size grid"


def vae_optimum(scores: dict[tuple[str, int], dict[str, float]]) -> tuple[int, list[int]]:
    """The VAE's size with the highest test ELBO, and every VAE size scored (ascending)."""
    elbo = {z: s["elbo"] for (k, z), s in scores.items() if k == "vae"}
    return max(elbo, key=elbo.get), sorted(elbo)


def latent_size_figures(cmp: dict[str, dict], entropy: dict[tuple[str, int], float],
                        scores: dict[tuple[str, int], dict[str, float]], totals: list[int],
                        upright: tuple[dict[str, float], dict[str, float]]
                        ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Every figure notebook 01's claims read, per claim id: ours and the control's. ``cmp`` is
    :func:`latent_size_comparisons`'s, ``upright`` :func:`upright_figures`'s pair. Fig. 9's row needs a total of 30
    and the optimum's row a total of 25: without them they are absent."""
    gain, fixed_gain, mean_gain, growth = cmp["gain"], cmp["fixed_gain"], cmp["mean_gain"], cmp["growth"]
    warped, second = cmp["warped_vae"], cmp["second_draw"]
    ours = {
        "fig5-transformers-fit-better": {PAIRS_BELOW_VAE: np.mean([g > 0 for g in gain.values()])},
        "fig5-tps-dtvae-most": {GAIN_RATIO: min(mean_gain["tps-tvae"], mean_gain["affine-dtvae"])
                                / mean_gain["affine-tvae"]},
        "fig6-vae-blurs-with-size": {ENTROPY_GROWTH: growth["vae"]},
        "fig6-tvae-sharp": {SIZES_SHARPER: float(np.mean(list(cmp["sharper"].values())))},
        "fig6-tvae-less-affected": {GROWTH_RATIO: growth["affine-tvae"] / growth["vae"]},
        "fig7-dtvae-like-vae": {ENTROPY_GROWTH: growth["affine-dtvae"]},
        "fig7-dtvae-worse-than-tvae": {SIZES_SHARPER_THAN_MODEL: float(np.mean(
            [entropy[("affine-tvae", t)] < entropy[("affine-dtvae", t)] for t in totals]))},
        "fig6-upright-samples": upright[0],
    }
    controls = {
        "fig5-transformers-fit-better": {PAIRS_BELOW_VAE: np.mean([g > 0 for g in fixed_gain.values()])},
        "fig6-vae-blurs-with-size": {ENTROPY_GROWTH: growth["affine-tvae"]},
        "fig6-tvae-sharp": {SIZES_SHARPER: float(np.mean([warped[t] < entropy[("vae", t)] for t in totals]))},
        "fig6-tvae-less-affected": {GROWTH_RATIO: growth["affine-dtvae"] / growth["vae"]},
        "fig7-dtvae-like-vae": {ENTROPY_GROWTH: growth["affine-tvae"]},
        "fig7-dtvae-worse-than-tvae": {SIZES_SHARPER_THAN_MODEL: float(np.mean(
            [entropy[("affine-tvae", t)] < second[t] for t in totals]))},
        "fig6-upright-samples": upright[1],
    }
    if 30 in totals:  # the thesis's Fig. 9 is at dim z + dim u = 30 (24 + 6 against 12 + 18)
        ours["fig9-tps-sharper"] = {TPS_AT_30: entropy[("tps-tvae", 30)] / entropy[("affine-tvae", 30)]}
        controls["fig9-tps-sharper"] = {TPS_AT_30: second[30] / entropy[("affine-tvae", 30)]}
    if 25 in totals:  # Fig. 5: "the optimal number of latent variables can be estimated to be around 25"
        best, sizes = vae_optimum(scores)
        ours["fig5-optimum-near-25"] = {OPTIMUM_STEPS: abs(sizes.index(best) - sizes.index(25))}
    return ours, controls


# spatial-vae/05's figures.
ROT_SPREAD = "circular spread of estimated − true angle (deg)"
ROT_OFFSET = "|circular mean offset| (deg)"


def rot_figures(tracking: dict[str, tuple[np.ndarray, float, float]], true_angles: np.ndarray,
                seed: int) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]], str]:
    """The figures of spatial-vae/05's row: the best-tracking model's estimated against true rotation, ours and the
    control's (the true angles shuffled across digits), and which model was best. ``tracking`` maps each model to
    (estimated angles, circular mean offset, circular spread)."""
    best = min(tracking, key=lambda k: tracking[k][2])
    shuffled = np.random.default_rng(seed).permutation(true_angles)
    offset, spread = circular_offset(tracking[best][0], shuffled)
    ours = {"rot-upright": {ROT_SPREAD: tracking[best][2], ROT_OFFSET: abs(tracking[best][1])}}
    controls = {"rot-upright": {ROT_SPREAD: spread, ROT_OFFSET: abs(offset)}}
    return ours, controls, best
