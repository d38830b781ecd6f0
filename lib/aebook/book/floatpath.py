"""Float paths: the environment that fixes how the CPU computes, and a fingerprint that tells two paths apart.

Training amplifies the last bit of every sum, so the same notebook trains other weights wherever a library picks
another kernel: oneDNN (convolutions) blocks by instruction set and cache size, MKL (matrix products) dispatches
by CPU vendor and model, ATen's vectorised kernels sum in another order for each instruction set, and every thread
count splits reductions differently. A *float path* names one setting of all four. ``reference`` is the one meant
to give the same bits on every x86-64 CPU: ATen unvectorised, oneDNN at SSE4.1, MKL's conditional numerical
reproducibility (``MKL_CBWR=COMPATIBLE``) and one thread.

``python -m aebook.book.floatpath fingerprint --path reference --out fp.json`` trains a few short runs of each model
family on fixed random data in a child process with that path's environment and writes their final losses (to 17
digits) and a digest of their weights: two machines whose fingerprints agree train alike on that path.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Each path's environment (set before torch starts: the libraries read it once).
PATHS: dict[str, dict[str, str]] = {
    "reference": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41", "MKL_CBWR": "COMPATIBLE",
                  "AEBOOK_TRAIN_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
    "avx2-2threads": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                      "AEBOOK_TRAIN_THREADS": "2", "OMP_NUM_THREADS": "2"},
    "avx2-1thread": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                     "AEBOOK_TRAIN_THREADS": "1", "OMP_NUM_THREADS": "1"},
    "sse41-1thread": {"ONEDNN_MAX_CPU_ISA": "SSE41", "ATEN_CPU_CAPABILITY": "default",
                      "AEBOOK_TRAIN_THREADS": "1", "OMP_NUM_THREADS": "1"},
    "native-1thread": {"AEBOOK_TRAIN_THREADS": "1", "OMP_NUM_THREADS": "1"},
    "native-2threads": {"AEBOOK_TRAIN_THREADS": "2", "OMP_NUM_THREADS": "2"},
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


def _families() -> list[tuple[str, Callable[[], Any], tuple[int, ...], int, int]]:
    """(name, model factory, example shape, batch, steps) of the fingerprint's runs: one per model family, sized so
    that each differs between the float paths the issue measured (the MLP 784-500-784 at 150 steps did)."""
    from aebook.models.atomic import AtomicAutoencoder
    from aebook.models.disk_ae import DiskAutoencoder
    from aebook.models.mlp import MLPAutoencoder
    from aebook.models.vae import VAE

    return [
        ("mlp 784-500-784 sigmoid", lambda: MLPAutoencoder(784, (500,), "sigmoid"), (784,), 100, 150),
        ("ood member 784-128-64-32-20", lambda: MLPAutoencoder(784, (128, 64, 32, 20), "relu"), (784,), 100, 60),
        ("disks autoencoder 64²", lambda: DiskAutoencoder(64), (64, 64), 32, 20),
        ("vae z=8", lambda: VAE(8), (1, 28, 28), 100, 40),
        ("atomic 32² k=3", lambda: AtomicAutoencoder(32, k=3), (1, 32, 32), 16, 10),
    ]


def weights_digest(model: Any) -> str:
    """SHA-256 of a model's parameters and buffers, in ``state_dict`` order (the first 16 hex digits)."""
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def fingerprint(only: str = "") -> dict[str, Any]:
    """Train each family's short run on the CPU on this process's float path; final losses, digests, seconds."""
    import torch

    from aebook.models.vae import negative_elbo
    from aebook.train import TrainConfig, reconstruction_mse, train

    runs = {}
    for name, make, shape, batch, steps in _families():
        if only and only not in name:
            continue
        data = torch.rand(4 * batch, *shape, generator=torch.Generator().manual_seed(0))
        start = make()
        torch.manual_seed(0)  # the initial weights train() starts from (it seeds and resets the same way)
        for module in start.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
        loss = negative_elbo if name.startswith("vae") else reconstruction_mse
        t0 = time.perf_counter()
        result = train(make(), data, TrainConfig(steps=steps, batch_size=batch), loss_fn=loss, device="cpu",
                       cache=False, progress=False)
        losses = result.history["loss"]
        runs[name] = {"steps": steps, "final_loss": repr(float(losses[-1])),
                      "losses": hashlib.sha256(" ".join(map(repr, losses)).encode()).hexdigest()[:16],
                      "every_loss": [repr(float(x)) for x in losses],
                      "weights": weights_digest(result.model), "initial_weights": weights_digest(start),
                      "tensors": {k: hashlib.sha256(v.detach().contiguous().numpy().tobytes()).hexdigest()[:12]
                                  for k, v in result.model.state_dict().items()},
                      "seconds": round(time.perf_counter() - t0, 3)}
    return {"runs": runs, "machine": machine()}


def machine() -> dict[str, Any]:
    """What the fingerprint ran on: CPU model, torch and its CPU capability, the float-path variables in force."""
    import torch

    cpu = ""
    try:
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), "")
    except OSError:
        pass
    return {"cpu": cpu or platform.processor(), "torch": torch.__version__, "onednn": torch.backends.mkldnn.enabled,
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
    """The runs whose losses (every step's) or final weights differ between two fingerprints (empty: they agree)."""
    keys = ("final_loss", "losses", "weights")
    return [name for name in sorted(set(a["runs"]) & set(b["runs"]))
            if [a["runs"][name].get(k) for k in keys] != [b["runs"][name].get(k) for k in keys]]


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
