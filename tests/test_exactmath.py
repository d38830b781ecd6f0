"""The portable square root and the optimisers that train the same bits on every CPU."""

from __future__ import annotations

import numpy as np
import torch

from aebook.exactmath import PortableAdadelta, exact_sqrt
from aebook.training.optim import make_optimizer


def _floats(n: int, seed: int = 0) -> np.ndarray:
    """``n`` float32 values with random bit patterns over every positive finite binade."""
    bits = np.random.default_rng(seed).integers(0, 0x7F800000, size=n, dtype=np.uint32)
    return bits.view(np.float32)


def test_exact_sqrt_is_the_correctly_rounded_root_bit_for_bit_with_and_without_gradients() -> None:
    x = _floats(1_000_000)
    exact = np.sqrt(x.astype(np.float64)).astype(np.float32)  # correctly rounded: see aebook.exactmath
    plain = exact_sqrt(torch.from_numpy(x.copy())).numpy()
    assert np.array_equal(plain.view(np.uint32), exact.view(np.uint32))


def test_exact_sqrt_has_torchs_gradient_in_both_precisions_and_takes_scalars() -> None:
    for dtype in (torch.float32, torch.float64):
        x = torch.tensor([4.0, 9.0, 2.0], dtype=dtype, requires_grad=True)
        y = x.detach().clone().requires_grad_()
        exact_sqrt(x).sum().backward()
        torch.sqrt(y).sum().backward()
        # grad / (2·root) on the correctly rounded root, IEEE operations in NumPy: the same bits on every CPU
        root = np.sqrt(x.detach().numpy())
        assert np.array_equal(x.grad.numpy(), np.ones_like(root) / (2 * root))
        # torch's own gradient has the same formula, on a root that its vector library may round an ulp off (on
        # some CPUs, in float64 too), so it is compared within that
        torch.testing.assert_close(x.grad, y.grad, rtol=4 * torch.finfo(dtype).eps, atol=0)
    assert exact_sqrt(torch.tensor(2.0, dtype=torch.float64)).item() == np.sqrt(2.0)  # a 0-d tensor
    assert exact_sqrt(torch.tensor([4.0], dtype=torch.bfloat16)).item() == 2.0


_BIT_FOR_BIT = """
import numpy as np, torch
from aebook.exactmath import PortableAdadelta, _adadelta_torch
rng = np.random.default_rng(1)
shapes = [(5000,), (20, 30), (4, 1, 3, 3)]
for decay, maximize, lr in [(0.0, False, 1.0), (0.01, False, 0.3), (0.0, True, 1.0)]:
    starts = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    ours = [torch.nn.Parameter(torch.from_numpy(s.copy())) for s in starts]
    written = [torch.nn.Parameter(torch.from_numpy(s.copy())) for s in starts]
    opt = PortableAdadelta(ours, lr=lr, rho=0.95, eps=1e-6, weight_decay=decay, maximize=maximize)
    states = [{"square_avg": torch.zeros_like(p), "acc_delta": torch.zeros_like(p)} for p in written]
    for _ in range(8):
        for p, q, state, s in zip(ours, written, states, shapes):
            g = rng.standard_normal(s).astype(np.float32) * np.float32(10.0 ** rng.integers(-6, 2))
            p.grad, q.grad = torch.from_numpy(g.copy()), torch.from_numpy(g.copy())
            with torch.no_grad():
                _adadelta_torch(q, state, opt.param_groups[0])
        opt.step()
    for p, q, state in zip(ours, written, states):
        assert torch.equal(p.detach().view(torch.int32), q.detach().view(torch.int32)), (decay, maximize, lr)
        assert torch.equal(opt.state[p]["acc_delta"].view(torch.int32), state["acc_delta"].view(torch.int32))
print("equal")
"""


def test_the_numpy_update_is_torchs_ops_bit_for_bit_on_the_reference_path() -> None:
    # ATen's addcmul is self + (value·t1)·t2 unvectorised but a fused multiply-add on AVX2 and AVX-512 CPUs, so the
    # written-out torch update is the yardstick on the reference path only (its own process, its settings)
    import subprocess
    import sys

    from aebook.book.floatpath import path_environment

    proc = subprocess.run([sys.executable, "-c", _BIT_FOR_BIT], env=path_environment("reference"),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == "equal", proc.stderr[-2000:]


def test_portable_adadelta_keeps_torchs_state() -> None:
    p = torch.nn.Parameter(torch.ones(5))
    opt = PortableAdadelta([p], lr=1.0, rho=0.95, eps=1e-6)
    for _ in range(3):
        p.grad = torch.full((5,), 0.5)
        opt.step()
    assert set(opt.state[p]) == {"step", "square_avg", "acc_delta"} and float(opt.state[p]["step"]) == 3
    assert p._version > 0  # the in-place NumPy update is seen by autograd's version counter


def test_portable_adadelta_matches_torch_to_rounding_and_loads_its_state() -> None:
    torch.manual_seed(0)
    a = torch.nn.Parameter(torch.randn(300))
    b = torch.nn.Parameter(a.detach().clone())
    ours, theirs = PortableAdadelta([a], rho=0.95, eps=1e-6), torch.optim.Adadelta([b], rho=0.95, eps=1e-6)
    for _ in range(20):
        g = torch.randn(300)
        a.grad, b.grad = g.clone(), g.clone()
        ours.step()
        theirs.step()
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    ours.load_state_dict(theirs.state_dict())  # checkpoints written by either load in the other
    assert torch.equal(ours.state[a]["acc_delta"], theirs.state[b]["acc_delta"])


def test_make_optimizer_takes_the_portable_kernels_on_the_cpu() -> None:
    p = [torch.nn.Parameter(torch.zeros(3))]
    adam = make_optimizer("adam", p, 1e-3, 0.0, torch.device("cpu"))
    assert adam.defaults["fused"] is True
    assert isinstance(make_optimizer("adadelta", p, 1.0, 0.0, torch.device("cpu")), PortableAdadelta)
