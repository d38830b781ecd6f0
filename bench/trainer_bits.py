"""Digests of what training gives on the CPU (weights, loss histories, snapshots), for a before/after comparison of
a change to the training code that must not move a bit: run it under each version of ``lib`` and compare the lines.

    PYTHONPATH=<old>/lib python bench/trainer_bits.py > old.json
    PYTHONPATH=lib python bench/trainer_bits.py > new.json && diff old.json new.json

It covers what the fingerprint (``python -m aebook.book.floatpath verify``) does not: both grids the book trains
stacked on a GPU (disks/04's regularised networks with their random pairs and callbacks, conservative/02's group with
its weight-length constraint and snapshots), each stacked and one network after another; a denoising loss that
draws its noise ahead; and a stacked VAE that samples. Run it on the reference float path (the variables of
``aebook.book.floatpath.PATHS["reference"]``, as ``make test`` sets them).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile

import torch

from aebook.experiments import conservative as cs
from aebook.experiments import disks as dk
from aebook.experiments import spatial_vae as sv
from aebook.models.disk_ae import DiskAutoencoder


def digest(results) -> str:
    """One digest over the runs' weights, histories and snapshots."""
    h = hashlib.sha256()
    for r in results:
        for v in r.model.state_dict().values():
            h.update(v.detach().contiguous().numpy().tobytes())
        h.update(json.dumps(r.history, sort_keys=True).encode())
        for step in sorted(r.snapshots):
            for v in r.snapshots[step].values():
                h.update(v.contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def main() -> None:
    """Print the digests as JSON."""
    out = {}
    torch.manual_seed(0)
    probe = torch.rand(8, 1, 32, 32)
    small = lambda: DiskAutoencoder(size=32, depths=(8, 4, 4, 3), code_dim=1)  # noqa: E731
    settings = [("none", 0.0), ("type 1", 0.1), ("type 2", 0.1), ("type 3", 0.1)]
    for stacked in (True, False):
        grid = dk.regularised_grid(settings, [0], probe, size=32, n_train=200, steps=30, batch_size=16, device="cpu",
                                   make_model=small, stacked=stacked)
        out[f"disks/04 grid, stacked={stacked}"] = digest([grid[k] for k in sorted(grid)])
        group = cs.train_mnist_ae_group(torch.rand(300, 784, generator=torch.Generator().manual_seed(1)), "sigmoid",
                                        [(0.0, False), (0.1, True)], hidden=(20,), epochs=2, batch_size=50,
                                        snapshot_steps=[0, 3], device="cpu", stacked=stacked)
        out[f"conservative/02 group, stacked={stacked}"] = digest(group)
    out["denoising planar MLP, snapshots"] = digest([cs.train_planar("spiral", "sigmoid", hidden=50, steps=60,
                                                                     snapshot_steps=[0, 30], device="cpu")])
    images = torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    h = hashlib.sha256()
    for model in sv.fit_seeds("vae", 2, images, [0, 1], epochs=1, batch_size=50, device="cpu"):
        for v in model.state_dict().values():
            h.update(v.contiguous().numpy().tobytes())
    out["VAE seeds"] = h.hexdigest()[:16]
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as cache:
        os.environ["AEBOOK_CACHE_DIR"] = cache  # every run trains: nothing comes from a cache
        main()
