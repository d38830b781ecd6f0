"""The portable square root and the optimisers that train the same bits on every CPU."""

from __future__ import annotations

import numpy as np
import torch

from aebook.exactmath import PortableAdadelta, exact_sqrt
from aebook.train import make_optimizer


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
        assert torch.equal(x.grad, y.grad)
    assert exact_sqrt(torch.tensor(2.0, dtype=torch.float64)).item() == np.sqrt(2.0)  # a 0-d tensor
    assert exact_sqrt(torch.tensor([4.0], dtype=torch.bfloat16)).item() == 2.0


def _numpy_adadelta(p: np.ndarray, grads: list[np.ndarray], lr: float, rho: float, eps: float) -> np.ndarray:
    """torch's single-tensor Adadelta written out in float32 NumPy with the IEEE square root."""
    f = np.float32
    sq, acc = np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        sq = sq * f(rho) + g * g * f(1 - rho)
        std = np.sqrt(sq + f(eps))
        delta = np.sqrt(acc + f(eps)) / std * g
        acc = acc * f(rho) + delta * delta * f(1 - rho)
        p = p + delta * f(-lr)
    return p


def test_portable_adadelta_is_the_update_written_out_with_ieee_roots() -> None:
    rng = np.random.default_rng(1)
    start = rng.standard_normal(5000).astype(np.float32)
    grads = [rng.standard_normal(5000).astype(np.float32) for _ in range(5)]
    p = torch.nn.Parameter(torch.from_numpy(start.copy()))
    opt = PortableAdadelta([p], lr=1.0, rho=0.95, eps=1e-6)
    for g in grads:
        p.grad = torch.from_numpy(g.copy())
        opt.step()
    expected = _numpy_adadelta(start, grads, 1.0, 0.95, 1e-6)
    # NumPy may evaluate a*b + c*d in another order than torch's in-place ops: equal to rounding, not bit for bit
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    assert set(opt.state[p]) == {"step", "square_avg", "acc_delta"} and float(opt.state[p]["step"]) == 5


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
