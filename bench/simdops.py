"""What NumPy's loops save on the reference float path: the leaky ReLU (forward and backward) and the Adadelta step,
torch's ops against aebook's (the same bits), and one training step of the models that use them.

Run it on the reference path, alone on the machine (another process skews every ratio):
    env ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41 MKL_CBWR=COMPATIBLE OPENBLAS_CORETYPE=Prescott \\
        OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=lib python bench/simdops.py
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.nn import functional as F

from aebook import simdops
from aebook.exactmath import PortableAdadelta, _adadelta_torch
from aebook.experiments import spatial_vae as sv
from aebook.models import disk_ae
from aebook.models.vae import negative_elbo
from portable_cost import _median_ms  # bench/ is the script's folder, so on sys.path


def _ms(fn: Callable[[], object]) -> float:
    """Median ms of a call after one warm-up call (``portable_cost``'s timer)."""
    fn()
    return _median_ms(fn, inner=10)


def _leaky(act: Callable[[torch.Tensor, float], torch.Tensor], shape: tuple[int, ...]) -> Callable[[], object]:
    x = torch.randn(shape, requires_grad=True)
    grad = torch.randn(shape)

    def step() -> object:
        return torch.autograd.grad(act(x, 0.2), x, grad)

    return step


def _adadelta_step(numpy_update: bool) -> Callable[[], object]:
    model = sv.build("vae", 10, "none", None, "identity", 0.1)
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    opt = PortableAdadelta(model.parameters(), lr=1.0, rho=0.95, eps=1e-6)
    opt.step()
    if numpy_update:
        return opt.step
    group = opt.param_groups[0]

    @torch.no_grad()
    def torch_update() -> None:
        for p in group["params"]:
            _adadelta_torch(p, opt.state[p], group)

    return torch_update


def _disk_step(act: Callable[[torch.Tensor, float], torch.Tensor]) -> Callable[[], object]:
    torch.manual_seed(0)
    model = disk_ae.DiskAutoencoder(64)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    x = torch.rand(64, 64, 64)

    def step() -> None:
        saved, disk_ae.leaky_relu = disk_ae.leaky_relu, act
        try:
            opt.zero_grad()
            ((model.decode(model.encode(x)) - x) ** 2).mean().backward()
            opt.step()
        finally:
            disk_ae.leaky_relu = saved

    return step


def _vae_step(numpy_update: bool) -> Callable[[], object]:
    torch.manual_seed(0)
    model = sv.build("vae", 10, "none", None, "identity", 0.1)
    opt = PortableAdadelta(model.parameters(), lr=1.0, rho=0.95, eps=1e-6)
    x = torch.rand(100, 1, 28, 28)
    group = opt.param_groups[0]

    def step() -> None:
        opt.zero_grad()
        negative_elbo(model, x).backward()
        if numpy_update:
            opt.step()
        else:
            with torch.no_grad():
                for p in group["params"]:
                    state = opt.state[p]
                    if not state:
                        state.update(step=torch.zeros(()), square_avg=torch.zeros_like(p),
                                     acc_delta=torch.zeros_like(p))
                    _adadelta_torch(p, state, group)

    return step


def main() -> None:
    """Print one table: each op or step with torch's kernels and with NumPy's, and the ratio."""
    print(f"torch {torch.__version__}, ATen capability {torch.backends.cpu.get_cpu_capability()}, "
          f"{torch.get_num_threads()} thread(s)")
    print("| what | torch (ms) | NumPy (ms) | torch / NumPy |")
    print("|---|---:|---:|---:|")
    rows = [(f"leaky ReLU forward and backward {shape}", _leaky(F.leaky_relu, shape), _leaky(simdops.leaky_relu, shape))
            for shape in [(64, 8, 32, 32), (64, 1, 64, 64)]]
    rows += [("Adadelta step, VAE z=10 (542k parameters)", _adadelta_step(False), _adadelta_step(True)),
             ("training step, disks autoencoder 64², batch 64", _disk_step(F.leaky_relu),
              _disk_step(simdops.leaky_relu)),
             ("training step, VAE z=10, batch 100", _vae_step(False), _vae_step(True))]
    for name, theirs, ours in rows:
        a, b = _ms(theirs), _ms(ours)
        print(f"| {name} | {a:.2f} | {b:.2f} | {a / b:.2f} |")


if __name__ == "__main__":
    main()
