"""One call on a lent GPU machine (a script of the repository, not of the library: it sets a bare machine up, then
runs the book there): set it up from what was carried, run a named slice of the paper profile within a
time budget, and leave at most eight files in ``$OUT``.

On the device machine (bare: its own python3 with CUDA torch, nothing reachable), from the repository root::

    python3 device/slice.py S1 --budget 480 --out $OUT

It installs the wheels carried in ``.whl/`` into ``/tmp/site`` (``make device-carry`` downloads them here, with
MNIST gzipped into ``.carry/mnist/``), registers the ``python3`` kernel, unpacks MNIST and any checkpoint pack
(``.carry/ckpt.pack``), then, each step in its own process and each allowed to fail alone: the machine's
description, the CPU fingerprint of the reference float path, the graph smoke check (``device/smoke.py``) and
``bench/gpu.py``, and the slice's notebooks through ``python -m aebook run --profile paper`` with what is left of
the budget. What comes back: ``env.txt``, ``fingerprint.json``, ``bench.txt`` (the smoke check's table, then the
benchmark's), ``run.log``, ``dmon.txt``, ``runs.tgz`` (the executed notebooks and their
claims) and ``ckpt.pack`` (checkpoints of what the budget interrupted, when small enough to carry).
``--device cpu`` with a tiny budget is the dry run the test suite makes.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

#: The slices of the paper profile, cheapest and most telling first (issue 29's order); each fits one lease.
SLICES: dict[str, list[str]] = {
    "S1": ["chapters/conservative/01-vector-fields-2d.ipynb", "chapters/conservative/02-symmetry-mnist.ipynb"],
    "S2": ["chapters/disks/01-encoding-disks.ipynb", "chapters/disks/02-linear-encoder-no-bias.ipynb",
           "chapters/disks/03-unseen-radii.ipynb"],
    "S3": ["chapters/ood-geometry/01-family-and-reconstructions.ipynb", "chapters/ood-geometry/02-eigenvalues.ipynb"],
    "S4": ["chapters/spatial-vae/02-codes.ipynb"],
    "S5": ["chapters/disks/05-dcgan.ipynb", "chapters/disks/04-regularisation.ipynb"],
    "S6": ["chapters/disks/06-other-shapes.ipynb", "chapters/conservative/03-deeper-and-beyond.ipynb"],
    "S7": ["chapters/spatial-vae/01-latent-size.ipynb", "chapters/spatial-vae/03-pose-priors.ipynb"],
    "S8": ["chapters/spatial-vae/04-likelihood-and-minima.ipynb", "chapters/spatial-vae/05-rot-mnist.ipynb"],
    "S9": ["chapters/atomic/03-mixing-blocks.ipynb", "chapters/atomic/01-spikes.ipynb"],
    "S10": ["chapters/atomic/02-mnist.ipynb"],
}
#: The most files and bytes a call brings back (the device tool's limits).
MAX_FILES, MAX_FILE_BYTES = 8, 16 * 1024 * 1024


class Log:
    """Timestamped lines to stdout and to ``run.log`` (what the call's reply shows last is the end of stdout)."""

    def __init__(self, path: Path) -> None:
        self.path, self.t0 = path, time.time()

    def __call__(self, text: str) -> None:
        line = f"[{time.time() - self.t0:6.1f}s] {text}"
        print(line, flush=True)
        with self.path.open("a") as f:
            f.write(line + "\n")


def _step(log: Log, name: str, command: list[str], env: dict[str, str], timeout: float, out: Path | None) -> int:
    """Run one step as its own process; its output to ``out`` (or the log); never raises."""
    t0 = time.time()
    if timeout <= 1:
        log(f"{name}: skipped, no time left")
        return -1
    try:
        with (out.open("a") if out else open(os.devnull, "w")) as sink:
            # its own process group: at the time limit its notebook kernels go with it (the GPU review's G13)
            proc = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                rc = 124
    except OSError as exc:
        log(f"{name}: could not start ({exc})")
        return -2
    log(f"{name}: exit {rc} after {time.time() - t0:.1f} s")
    return rc


def setup(root: Path, log: Log, site: Path, data_dir: Path, wheel_dir: Path) -> dict[str, str]:
    """Install the carried wheels, register the kernel, unpack MNIST; return the environment of every step."""
    env = dict(os.environ)
    wheels = sorted(wheel_dir.glob("*.whl"))
    if wheels:
        rc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
                             "--no-cache-dir", "--upgrade", "--target", str(site), *map(str, wheels)]).returncode
        log(f"setup: {len(wheels)} wheels into {site} (exit {rc})")
        env["PYTHONPATH"] = os.pathsep.join([str(site), str(root / "lib"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env["PATH"] = f"{site / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        sys.path[:0] = [str(site)]
    else:
        env["PYTHONPATH"] = os.pathsep.join([str(root / "lib"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update({"PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg", "AEBOOK_DATA_DIR": str(data_dir)})
    if wheels:  # a bare machine: its python3 has no kernel until the carried ipykernel registers one
        kernel = subprocess.run([sys.executable, "-m", "ipykernel", "install", "--user", "--name", "python3"],
                                env=env, capture_output=True, text=True)
        log(f"setup: kernel python3 registered (exit {kernel.returncode}) {kernel.stderr.strip()[-200:]}")
    carried = sorted((root / ".carry" / "mnist").glob("*.gz"))
    if carried:
        (data_dir / "mnist").mkdir(parents=True, exist_ok=True)
        for gz in carried:
            with gzip.open(gz) as src, (data_dir / "mnist" / gz.stem).open("wb") as dst:
                shutil.copyfileobj(src, dst)
        log(f"setup: {len(carried)} MNIST files unpacked into {data_dir / 'mnist'}")
    return env


def describe(out: Path) -> None:
    """``env.txt``: the GPU, the CPU, memory, Python and the versions of torch and the notebook stack."""
    probes = [["nvidia-smi"], ["lscpu"], ["free", "-g"],
              [sys.executable, "-c", "import torch, papermill, ipywidgets, numpy; print('torch', torch.__version__, "
               "'cuda', torch.version.cuda, 'papermill', papermill.__version__, 'numpy', numpy.__version__); "
               "ok = torch.cuda.is_available(); print('cuda available', ok, "
               "torch.cuda.get_device_name(0) if ok else '(no CUDA device)')"]]
    with (out / "env.txt").open("w") as f:
        for probe in probes:
            if shutil.which(probe[0]) or probe[0] == sys.executable:
                f.write(f"$ {' '.join(probe[:1])}\n")
                f.flush()
                subprocess.run(probe, stdout=f, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")})


def main(argv: list[str] | None = None) -> int:
    """Set up, describe, fingerprint, benchmark, run the slice, pack what comes back; exit 0 unless setup broke."""
    parser = argparse.ArgumentParser(prog="device/slice.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slice", help=f"one of {', '.join(SLICES)}, or notebook paths joined by commas; "
                        "S1+S2 runs both, in that order")
    parser.add_argument("--budget", type=float, default=480, help="seconds for the whole call (default 480)")
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu", "auto"))
    parser.add_argument("--out", default=os.environ.get("OUT", "out"), help="where the returned files go ($OUT)")
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--executor", default="local:2")
    parser.add_argument("--smoke-seconds", type=float, default=120, help="0 skips device/smoke.py")
    parser.add_argument("--smoke-steps", type=int, default=40, help="steps per run of the smoke check")
    parser.add_argument("--smoke-only", default="", help="the smoke check's families (words of their names)")
    parser.add_argument("--bench-seconds", type=float, default=90, help="0 skips bench/gpu.py")
    parser.add_argument("--fingerprint-seconds", type=float, default=120, help="0 skips the CPU fingerprint")
    parser.add_argument("--param", action="append", default=[], help="passed on to python -m aebook run")
    parser.add_argument("--wheels", default=".whl", help="carried wheels to install first (none: skip)")
    parser.add_argument("--work", default="/tmp/aebook-device", help="scratch: installed wheels, data, cache, runs")
    args = parser.parse_args(argv)
    t0 = time.time()
    left = lambda: args.budget - (time.time() - t0)  # noqa: E731
    root = Path.cwd()
    out, work = Path(args.out), Path(args.work)
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    notebooks = [nb for part in args.slice.split("+") for nb in (SLICES.get(part) or [p for p in part.split(",") if p])]
    missing = [p for p in notebooks if not (root / p).is_file()]
    if missing:
        print(f"error: no such notebook(s): {', '.join(missing)}; slices: {', '.join(SLICES)}", file=sys.stderr)
        return 2
    log = Log(out / "run.log")
    log(f"slice {args.slice}: {len(notebooks)} notebook(s), budget {args.budget:.0f} s, device {args.device}")
    env = setup(root, log, work / "site", work / "data", root / args.wheels)
    env.setdefault("AEBOOK_CACHE_DIR", str(work / "cache"))
    os.environ["PYTHONPATH"] = env["PYTHONPATH"]
    describe(out)
    dmon = None
    if shutil.which("nvidia-smi") and args.device != "cpu":
        dmon = subprocess.Popen(["nvidia-smi", "dmon", "-s", "um", "-d", "2"], stdout=(out / "dmon.txt").open("w"),
                                stderr=subprocess.STDOUT)
    if args.fingerprint_seconds > 0:
        _step(log, "fingerprint (reference float path, CPU)",
              [sys.executable, "-m", "aebook.book.floatpath", "fingerprint", "--path", "reference", "--path",
               "native-1thread", "--out", str(out / "fingerprint.json")], env,
              min(args.fingerprint_seconds, left() - 60), out / "run.log")
    if args.smoke_seconds > 0:  # first: whether the graphs work at all, before anything is timed or run with them
        _step(log, "device/smoke.py", [sys.executable, "device/smoke.py", "--device", args.device, "--steps",
                                          str(args.smoke_steps), "--only", args.smoke_only], env,
              min(args.smoke_seconds, left() - 60), out / "bench.txt")
    if args.bench_seconds > 0:
        _step(log, "bench/gpu.py", [sys.executable, "bench/gpu.py", "--device", args.device, "--steps", "200"], env,
              min(args.bench_seconds, left() - 60), out / "bench.txt")
    runs = work / "runs"
    if (root / ".carry" / "ckpt.pack").exists():
        _step(log, "unpack checkpoints", [sys.executable, "-m", "aebook", "cache", "unpack",
                                          str(root / ".carry" / "ckpt.pack")], env, 120, out / "run.log")
    budget = left() - 25  # time to pack and return what was made
    command = [sys.executable, "-m", "aebook", "run", *notebooks, "--profile", args.profile, "--device", args.device,
               "--executor", args.executor, "--out", str(runs), "--time-budget", f"{max(budget, 1):.0f}"]
    for p in args.param:
        command += ["--param", p]
    _step(log, "paper slice", command, env, budget + 15, out / "run.log")
    if dmon:
        dmon.terminate()
    if runs.exists():
        with tarfile.open(out / "runs.tgz", "w:gz") as tar:
            tar.add(runs, arcname="runs")
        log(f"runs.tgz: {(out / 'runs.tgz').stat().st_size / 1e6:.1f} MB")
    cache = Path(env["AEBOOK_CACHE_DIR"])
    checkpoints = sum(p.stat().st_size for p in cache.glob("*.ckpt"))
    slots = MAX_FILES - sum(1 for p in out.iterdir() if p.is_file()) - 1  # the manifest takes one
    if checkpoints and checkpoints > slots * MAX_FILE_BYTES * 0.95:
        log(f"checkpoints ({checkpoints / 1e6:.0f} MB) do not fit the {max(slots, 0)} file(s) left: not packed")
    elif checkpoints:
        _step(log, "pack checkpoints", [sys.executable, "-m", "aebook", "cache", "pack", str(out / "ckpt.pack"),
                                        "--checkpoints-only"], env, 60, out / "run.log")
    for f in sorted(out.iterdir()):
        if f.is_file() and f.stat().st_size > MAX_FILE_BYTES:
            log(f"warning: {f.name} is {f.stat().st_size / 1e6:.1f} MB, over what a call brings back")
    log(f"done in {time.time() - t0:.0f} s; files: {', '.join(sorted(p.name for p in out.iterdir()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
