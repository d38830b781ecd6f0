"""What the portable reference path costs, in one run on this CPU (run it alone: the numbers are medians of
alternating repeats).

- one optimiser step on the 784-500-784 MLP's parameters: Adam single-tensor (torch.sqrt → MKL) against fused
  Adam; torch's Adadelta against :class:`aebook.exactmath.PortableAdadelta`;
- the analyses' linear algebra under OpenBLAS's own kernel choice against its SSE3 kernels
  (``OPENBLAS_CORETYPE=Prescott``, read once at load, so each in a child process): an SVD, a least-squares fit and
  scikit-learn's linear SVM on spatial-vae/02's quick-profile sizes.

    PYTHONPATH=lib python bench/portable_cost.py > bench/results/<date>/portable_cost.txt
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

REPEATS = 7


def _median_ms(fn, repeats: int = REPEATS, inner: int = 20) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner * 1e3)
    return statistics.median(times)


def optimiser_steps() -> list[tuple[str, float, float]]:
    """(what, ms before, ms after) for one step of each optimiser on the MLP's 784,284 parameters, alternating."""
    import torch

    from aebook.exactmath import PortableAdadelta
    from aebook.models.mlp import MLPAutoencoder

    torch.set_num_threads(1)
    rows = []
    pairs = [("Adam step", lambda p: torch.optim.Adam(p, lr=1e-3), lambda p: torch.optim.Adam(p, lr=1e-3, fused=True)),
             ("Adadelta step", lambda p: torch.optim.Adadelta(p, rho=0.95, eps=1e-6),
              lambda p: PortableAdadelta(p, rho=0.95, eps=1e-6))]
    for what, before, after in pairs:
        timed = {}
        for make in (before, after) * 2:
            model = MLPAutoencoder(784, (500,), "sigmoid")
            for p in model.parameters():
                p.grad = torch.randn_like(p)
            opt = make(list(model.parameters()))
            opt.step()
            timed.setdefault(make, []).append(_median_ms(opt.step))
        rows.append((what, min(timed[before]), min(timed[after])))
    return rows


def _linear_algebra() -> dict[str, float]:
    import numpy as np
    from sklearn.svm import LinearSVC

    rng = np.random.default_rng(0)
    a = rng.standard_normal((5000, 784)).astype(np.float32)
    y = rng.integers(0, 10, 5000)
    feats = rng.standard_normal((5000, 20)).astype(np.float32)
    return {"SVD of 5000×784 (float32)": _median_ms(lambda: np.linalg.svd(a, full_matrices=False), 3, 1),
            "least squares 5000×784": _median_ms(lambda: np.linalg.lstsq(a, feats, rcond=None), 3, 1),
            "linear SVM, 5000 codes of 20, 10 classes": _median_ms(
                lambda: LinearSVC(dual=False, max_iter=5000).fit(feats, y), 3, 1)}


def linear_algebra() -> list[tuple[str, float, float]]:
    """(what, ms with OpenBLAS's own kernels, ms with its SSE3 kernels), each setting in a child process."""
    results = {}
    for setting in ("auto", "Prescott", "auto", "Prescott"):
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
        if setting != "auto":
            env["OPENBLAS_CORETYPE"] = setting
        env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = "1"
        out = subprocess.run([sys.executable, __file__, "_child"], env=env, capture_output=True, text=True, check=True)
        for what, ms in json.loads(out.stdout).items():
            results.setdefault(what, {}).setdefault(setting, []).append(ms)
    return [(what, min(r["auto"]), min(r["Prescott"])) for what, r in results.items()]


def main() -> int:
    """Print both tables."""
    if sys.argv[1:] == ["_child"]:
        print(json.dumps(_linear_algebra()))
        return 0
    from aebook.book.floatpath import machine

    print(f"{machine()['cpu']}, one thread, medians of alternating repeats\n")
    print("| what | before (ms) | portable (ms) | portable / before |\n|---|---:|---:|---:|")
    for what, before, after in optimiser_steps() + linear_algebra():
        print(f"| {what} | {before:.2f} | {after:.2f} | {after / before:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
