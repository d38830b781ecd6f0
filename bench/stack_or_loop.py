"""Stacked or one after another on the CPU: the seconds a step of a notebook's grid of models costs when its members
train together as one vmapped model (:func:`aebook.stacked.train_stacked`) and when each trains alone through
``train()``, on this CPU and float path (run it alone; set the path's variables in the environment).

- disks/04's quick grid: seven 64² disk autoencoders (none, type 1 ×2, type 2 ×2, type 3 ×2), batch 64;
- conservative/02's group: four 784-500-784 autoencoders (CAE and AE, with and without the weight-length cap).

Each variant trains from an empty weight cache of its own; the two alternate, ``--repeats`` times, and the table
gives the least seconds per step of the whole grid.

    PYTHONPATH=lib python bench/stack_or_loop.py [--steps 30] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable


def _disks(steps: int) -> dict[str, Callable[[], object]]:
    import numpy as np
    import torch

    from aebook.data.disks import shape_images
    from aebook.experiments.disks import regularised_grid, train_on_radii
    from aebook.regularisers import code_amplitude, locality, weight_l2

    settings = [("none", 0.0), ("type 1", 1e-9), ("type 1", 1e-8), ("type 2", 1e-4), ("type 2", 1e-3),
                ("type 3", 1e-4), ("type 3", 1e-3)]
    probe = torch.from_numpy(shape_images("disk", np.linspace(1, 32, 8), 64))
    common = dict(size=64, n_train=3000, exclude=[(11.0, 18.0)], steps=steps, batch_size=64, lr=3e-3, device="cpu")
    penalty = {"none": lambda lam: [], "type 1": lambda lam: [locality(lam, 0)],
               "type 2": lambda lam: [weight_l2(lam)], "type 3": lambda lam: [weight_l2(lam, ("encoder",))]}

    def stacked() -> object:
        return regularised_grid(settings, [0], probe, stacked=True, **common)

    def loop() -> object:
        return [train_on_radii(seed=0, name=kind, callbacks=[*penalty[kind](lam), code_amplitude(probe)],
                               extra_key={"bench": f"{kind} {lam}"}, **common) for kind, lam in settings]

    return {"stacked": stacked, "one after another": loop}


def _conservative(steps: int) -> dict[str, Callable[[], object]]:
    import torch

    from aebook.experiments.ood_geometry import mnist_vectors
    from aebook.experiments import conservative as cv

    data = torch.from_numpy(mnist_vectors("train")[: steps * 100])
    members = [(0.0, False), (0.0, True), (1.0, False), (1.0, True)]
    common = dict(hidden=(500,), epochs=1, batch_size=100, lr=1e-3, seed=0, device="cpu")

    def stacked() -> object:
        return cv.train_mnist_ae_group(data, "sigmoid", members, stacked=True, **common)

    def loop() -> object:
        return [cv.train_mnist_ae(data, "sigmoid", weight_length=wl, contractive_weight=lam, **common)
                for lam, wl in members]

    return {"stacked": stacked, "one after another": loop}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    import torch

    from aebook.device import cpu_model

    print(f"# {cpu_model()}, {torch.get_num_threads()} thread(s), ATEN_CPU_CAPABILITY="
          f"{os.environ.get('ATEN_CPU_CAPABILITY', '(native)')}, ONEDNN_MAX_CPU_ISA="
          f"{os.environ.get('ONEDNN_MAX_CPU_ISA', '(native)')}; {args.steps} steps, least of {args.repeats}")
    print("| grid | members | stacked s/step | one after another s/step | stacked / one after another |")
    print("|---|---|---|---|---|")
    for name, members, make in (("disks/04 quick", 7, _disks), ("conservative/02 group", 4, _conservative)):
        variants = make(args.steps)
        best = {v: float("inf") for v in variants}
        for _ in range(args.repeats):
            for variant, fn in variants.items():
                with tempfile.TemporaryDirectory() as cache:
                    os.environ["AEBOOK_CACHE_DIR"] = cache
                    t0 = time.perf_counter()
                    fn()
                    best[variant] = min(best[variant], (time.perf_counter() - t0) / args.steps)
        s, lone = best["stacked"], best["one after another"]
        print(f"| {name} | {members} | {s:.3f} | {lone:.3f} | {s / lone:.2f} |", flush=True)


if __name__ == "__main__":
    main()
