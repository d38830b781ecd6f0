"""Float paths: the environment that fixes how the CPU computes, and a fingerprint that tells two paths apart.

Training amplifies the last bit of every sum, so the same notebook trains other weights wherever a library picks
another kernel: oneDNN (convolutions) blocks by instruction set and cache size, MKL (matrix products) dispatches
by CPU vendor and model, ATen's vectorised kernels sum in another order for each instruction set, and every thread
count splits reductions differently. A *float path* names one setting of all four. ``reference`` is the one meant
to give the same bits on every x86-64 CPU: ATen unvectorised, oneDNN at SSE4.1, MKL's conditional numerical
reproducibility (``MKL_CBWR=COMPATIBLE``), the OpenBLAS of NumPy, SciPy and scikit-learn on its SSE3 kernels (it
otherwise picks kernels by CPU model: the analyses' SVDs, least squares and SVMs gave other bits under every
emulated CPU) and one thread. Its square roots are taken by :mod:`aebook.exactmath`, since MKL's are approximate.

``python -m aebook.book.floatpath fingerprint --path reference --out fp.json`` trains a few short runs of each model
family on fixed random data in a child process with that path's environment and writes their final losses (to 17
digits) and a digest of their weights: two machines whose fingerprints agree train alike on that path.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Each path's environment (set before torch starts: the libraries read it once).
PATHS: dict[str, dict[str, str]] = {
    "reference": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41", "MKL_CBWR": "COMPATIBLE",
                  "OPENBLAS_CORETYPE": "Prescott", "AEBOOK_TRAIN_THREADS": "1", "OMP_NUM_THREADS": "1",
                  "MKL_NUM_THREADS": "1"},
    # the reference path with ATen's AVX2 kernels: measured for portability across AVX2 CPUs (bench/results/)
    "reference-avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "SSE41", "MKL_CBWR": "COMPATIBLE",
                       "OPENBLAS_CORETYPE": "Prescott", "AEBOOK_TRAIN_THREADS": "1", "OMP_NUM_THREADS": "1",
                       "MKL_NUM_THREADS": "1"},
    "avx2-2threads": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                      "AEBOOK_TRAIN_THREADS": "2", "OMP_NUM_THREADS": "2"},
    "avx2-1thread": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                     "AEBOOK_TRAIN_THREADS": "1", "OMP_NUM_THREADS": "1"},
    "sse41-1thread": {"ONEDNN_MAX_CPU_ISA": "SSE41", "ATEN_CPU_CAPABILITY": "default",
                      "AEBOOK_TRAIN_THREADS": "1", "OMP_NUM_THREADS": "1"},
    "native-1thread": {"AEBOOK_TRAIN_THREADS": "1", "OMP_NUM_THREADS": "1"},
    "native-2threads": {"AEBOOK_TRAIN_THREADS": "2", "OMP_NUM_THREADS": "2"},
}
#: Float paths that calibration records name but no environment reproduces: the code that ran them is gone.
RECORDED_ONLY: dict[str, str] = {
    "reference-mkl-sqrt": "the reference path before its square roots were made exact (Adam unfused and every "
                          "torch.sqrt through MKL's vector math library, whose bits depend on the chip), e3afab1",
}
#: Variables any path may set: a child process starts with none of them from its parent, so that a path is only
#: what its entry says.
PATH_VARIABLES = sorted({k for env in PATHS.values() for k in env} | {"MKL_ENABLE_INSTRUCTIONS", "MKL_CBWR"})


def path_environment(name: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process on float path ``name``: ``base`` (default: this one's) without any
    float-path variable, then the path's own."""
    if name not in PATHS:
        raise ValueError(f"unknown float path {name!r}: use one of {', '.join(PATHS)}")
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in PATH_VARIABLES}
    env.update(PATHS[name])
    return env


@dataclass(frozen=True)
class Family:
    """One short training run of the fingerprint: a model family with the optimiser and loss a notebook trains it
    with."""

    name: str
    make: Callable[[], Any]
    shape: tuple[int, ...]
    batch: int
    steps: int
    loss: str = "mse"  # "mse", "elbo" or "contractive"
    optimizer: str = "adam"
    lr: float = 1e-3


def _families() -> list[Family]:
    """The fingerprint's runs: every model family, optimiser, loss and layer kind the notebooks train with, each
    sized so that it differs between the float paths measured (the MLP 784-500-784 at 150 steps did). The first five
    are those of the fingerprints kept in ``../shared/reviews/portable-path/out`` (an Intel Xeon and qemu models)."""
    from aebook.models.atomic import AtomicAutoencoder
    from aebook.models.dcgan import DCGANAutoencoder
    from aebook.models.disk_ae import DiskAutoencoder
    from aebook.models.mlp import MLPAutoencoder
    from aebook.models.vae import VAE, TransformerVAE

    return [
        Family("mlp 784-500-784 sigmoid", lambda: MLPAutoencoder(784, (500,), "sigmoid"), (784,), 100, 150),
        Family("ood member 784-128-64-32-20", lambda: MLPAutoencoder(784, (128, 64, 32, 20), "relu"), (784,), 100, 60),
        Family("disks autoencoder 64²", lambda: DiskAutoencoder(64), (64, 64), 32, 20),
        Family("vae z=8", lambda: VAE(8), (1, 28, 28), 100, 40, loss="elbo"),
        Family("atomic 32² k=3", lambda: AtomicAutoencoder(32, k=3), (1, 32, 32), 16, 10),
        # what the first five leave out: Adadelta (spatial-vae), the warps of the T-VAEs (affine_grid, grid_sample,
        # the thin-plate spline), batch norm and transposed convolutions (disks/05), the contractive penalty
        Family("vae z=8 adadelta", lambda: VAE(8), (1, 28, 28), 100, 30, loss="elbo", optimizer="adadelta", lr=1.0),
        Family("affine T-VAE z=2 adadelta", lambda: TransformerVAE(2, "affine", "normal"), (1, 28, 28), 50, 20,
               loss="elbo", optimizer="adadelta", lr=1.0),
        Family("tps T-VAE z=2 adadelta", lambda: TransformerVAE(2, "tps"), (1, 28, 28), 50, 10, loss="elbo",
               optimizer="adadelta", lr=1.0),
        Family("dcgan 32² width 8", lambda: DCGANAutoencoder(32, code_dim=10, width=8), (32, 32), 16, 10),
        Family("contractive mlp 784-100 sigmoid", lambda: MLPAutoencoder(784, (100,), "sigmoid"), (784,), 50, 30,
               loss="contractive"),
    ]


def _loss(kind: str) -> Callable[[Any, Any], Any]:
    from aebook.models.vae import negative_elbo
    from aebook.regularisers import contractive_value
    from aebook.train import reconstruction_mse

    if kind == "elbo":
        return negative_elbo
    if kind == "contractive":
        return lambda model, batch: reconstruction_mse(model, batch) + 0.1 * contractive_value(model, batch)
    return reconstruction_mse


def weights_digest(model: Any) -> str:
    """SHA-256 of a model's parameters and buffers, in ``state_dict`` order (the first 16 hex digits)."""
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def data_digests() -> dict[str, str]:
    """A digest of what each data generator makes at a small size (NumPy's random streams, exp, sin and cos, and
    the samplers): the notebooks train on these, so they must be the same bits everywhere too."""
    import numpy as np

    from aebook.data.disks import disk_images, fitted_radius, sample_radii, shape_images
    from aebook.data.noise import NOISE_SETS, noise_images
    from aebook.data.planar import planar_points
    from aebook.data.spikes import spike_images, spike_parameters

    def digest(a: Any) -> str:
        return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]

    out = {"radii": digest(sample_radii(40, 18.0, exclude=[(6.0, 9.0)], seed=3)),
           "disks": digest(disk_images(np.linspace(1, 20, 40), size=32, antialias=4)),
           "shapes": digest(shape_images("ellipse", np.linspace(1, 12, 20), size=32, antialias=4)),
           "fitted radius": digest(fitted_radius(disk_images(np.linspace(1, 20, 40), size=32, antialias=4))),
           "spikes": digest(spike_images(spike_parameters(30, k=3, size=32, seed=1), size=32)),
           "planar": digest(np.concatenate([planar_points(s, 200, seed=2) for s in ("circle", "spiral")]))}
    out.update({f"noise {name}": digest(noise_images(name, 20, seed=4)) for name in NOISE_SETS})
    return out


def analysis_digests() -> dict[str, str]:
    """A digest of each kind of linear algebra the analyses run (NumPy's and SciPy's BLAS and LAPACK, MKL's LAPACK
    through torch, scikit-learn's linear SVM and PCA) on fixed inputs: reported figures come from these."""
    import numpy as np
    import torch
    from sklearn.decomposition import PCA
    from sklearn.svm import LinearSVC

    def digest(*arrays: Any) -> str:
        h = hashlib.sha256()
        for a in arrays:
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]

    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((120, 300)), rng.standard_normal((300, 80))
    square = rng.standard_normal((60, 60)).astype(np.float32)
    x = rng.standard_normal((400, 20)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] + 0.3 * rng.standard_normal(400) > 0).astype(int)
    svm = LinearSVC(C=1.0, dual=False, max_iter=5000).fit(x, y)
    return {"numpy matmul float64": digest(a @ b), "numpy matmul float32": digest(a.astype(np.float32)
                                                                                    @ b.astype(np.float32)),
            "numpy svd": digest(*np.linalg.svd(a, full_matrices=False)),
            "numpy lstsq": digest(np.linalg.lstsq(a.T, b[:, :3], rcond=None)[0]),
            "torch eigvals": digest(torch.linalg.eigvals(torch.from_numpy(square)).numpy()),
            "torch matmul": digest((torch.from_numpy(square) @ torch.from_numpy(square)).numpy()),
            "sklearn linear svm": digest(svm.coef_, svm.intercept_),
            "sklearn pca": digest(PCA(5, random_state=0).fit_transform(x))}


def fingerprint(only: str = "") -> dict[str, Any]:
    """Train each family's short run on the CPU on this process's float path; final losses, digests, seconds; and
    the data generators' digests."""
    import torch

    from aebook.train import TrainConfig, train

    runs = {}
    for fam in _families():
        if only and only not in fam.name:
            continue
        data = torch.rand(4 * fam.batch, *fam.shape, generator=torch.Generator().manual_seed(0))
        start = fam.make()
        torch.manual_seed(0)  # the initial weights train() starts from (it seeds and resets the same way)
        for module in start.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
        if hasattr(start, "after_reset"):
            start.after_reset()
        config = TrainConfig(steps=fam.steps, batch_size=fam.batch, optimizer=fam.optimizer, lr=fam.lr)
        t0 = time.perf_counter()
        result = train(fam.make(), data, config, loss_fn=_loss(fam.loss), device="cpu", cache=False, progress=False)
        losses = result.history["loss"]
        runs[fam.name] = {"steps": fam.steps, "final_loss": repr(float(losses[-1])),
                          "losses": hashlib.sha256(" ".join(map(repr, losses)).encode()).hexdigest()[:16],
                          "every_loss": [repr(float(x)) for x in losses],
                          "weights": weights_digest(result.model), "initial_weights": weights_digest(start),
                          "tensors": {k: hashlib.sha256(v.detach().contiguous().numpy().tobytes()).hexdigest()[:12]
                                      for k, v in result.model.state_dict().items()},
                          "seconds": round(time.perf_counter() - t0, 3)}
    record: dict[str, Any] = {"runs": runs, "machine": machine()}
    if not only:
        record["data"] = {**data_digests(), **analysis_digests()}
    return record


def machine() -> dict[str, Any]:
    """What the fingerprint ran on: CPU model, torch and its CPU capability, the float-path variables in force."""
    import torch

    from aebook.device import cpu_model

    return {"cpu": cpu_model(), "torch": torch.__version__, "onednn": torch.backends.mkldnn.enabled,
            "aten_capability": torch.backends.cpu.get_cpu_capability(), "threads": torch.get_num_threads(),
            "variables": {k: os.environ[k] for k in PATH_VARIABLES if k in os.environ}}


def run_fingerprint(path: str, only: str = "", python: str | None = None, prefix: list[str] | None = None,
                    timeout: float | None = None) -> dict[str, Any]:
    """The fingerprint of float path ``path`` from a fresh child process (``prefix`` runs it under, say, qemu)."""
    command = [*(prefix or []), python or sys.executable, "-m", "aebook.book.floatpath", "_child", "--only", only]
    proc = subprocess.run(command, env=path_environment(path), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"fingerprint on {path} failed:\n{proc.stderr[-2000:]}")
    record = json.loads(proc.stdout.strip().splitlines()[-1])
    record["path"] = path
    return record


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """The runs whose losses (every step's) or final weights differ between two fingerprints, and the data and
    analysis digests that differ (empty: they agree)."""
    keys = ("final_loss", "losses", "weights")
    differ = [name for name in sorted(set(a["runs"]) & set(b["runs"]))
              if [a["runs"][name].get(k) for k in keys] != [b["runs"][name].get(k) for k in keys]]
    data_a, data_b = a.get("data", {}), b.get("data", {})
    return differ + [f"data: {name}" for name in sorted(set(data_a) & set(data_b)) if data_a[name] != data_b[name]]


#: The reference path's fingerprint on the machine that made the committed outputs (``make outputs`` writes it).
COMMITTED = Path(__file__).with_name("reference-fingerprint.json")


def verify(committed: Path = COMMITTED) -> tuple[bool, str]:
    """Whether this machine computes the reference path as the machine that made the committed outputs did (the
    same torch, the same losses at every step and the same final weights for every family), and a sentence why."""
    if not committed.exists():
        return False, f"no committed fingerprint at {committed}"
    ours, theirs = run_fingerprint("reference"), json.loads(committed.read_text())[0]
    if ours["machine"]["torch"] != theirs["machine"]["torch"]:
        return False, f"torch {ours['machine']['torch']} here, {theirs['machine']['torch']} for the committed outputs"
    differ = compare(ours, theirs)
    if differ:
        return False, (f"this CPU ({ours['machine']['cpu']}) trains other bits than the one that made the committed "
                       f"outputs ({theirs['machine']['cpu']}) on the reference path: {', '.join(differ)}")
    return True, f"this CPU ({ours['machine']['cpu']}) computes the reference path bit for bit as the committed one"


def main(argv: list[str] | None = None) -> int:
    """``fingerprint --path P [--out F]``, ``verify`` (exit 0 when this machine matches the committed fingerprint,
    1 when not), or ``_child``, the process that trains."""
    parser = argparse.ArgumentParser(prog="python -m aebook.book.floatpath", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("fingerprint", "verify", "_child"))
    parser.add_argument("--path", action="append", default=[], help=f"one of {', '.join(PATHS)} (repeatable)")
    parser.add_argument("--only", default="", help="keep the families whose name contains this")
    parser.add_argument("--out", default=None, help="write the fingerprints here as JSON")
    parser.add_argument("--under", default="", help="run the child under this command, e.g. "
                                                   "'qemu-x86_64 -cpu Haswell-v4' (an emulated CPU)")
    args = parser.parse_args(argv)
    if args.action == "_child":
        print(json.dumps(fingerprint(args.only)))
        return 0
    if args.action == "verify":
        same, why = verify()
        print(f"reference float path: {why}")
        return 0 if same else 1
    records = [run_fingerprint(p, args.only, prefix=args.under.split()) for p in (args.path or ["reference"])]
    if args.under:
        for rec in records:
            rec["machine"]["under"] = args.under
    for rec in records:
        print(f"{rec['path']} on {rec['machine']['cpu']} ({rec['machine']['aten_capability']}, "
              f"{rec['machine']['threads']} thread(s), torch {rec['machine']['torch']})")
        for name, run in rec["runs"].items():
            print(f"  {name:30} {run['final_loss']:>22} losses {run['losses']} weights {run['weights']} "
                  f"{run['seconds']:7.2f} s")
    if args.out:
        Path(args.out).write_text(json.dumps(records, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
