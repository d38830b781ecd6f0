"""Square roots that give the same bits on every x86-64 CPU, and the optimisers built on them.

On the CPU, ATen hands float32 ``sqrt`` (and ``pow(x, 0.5)``, ``_foreach_sqrt``) to MKL's vector math library,
whose kernels start from ``rsqrtps``, an approximate instruction whose bits depend on the chip: about 15 % of the
results are one ulp away from the correctly rounded root, in places that differ between Intel, AMD and qemu
(``../shared/reviews/portable-path.md``). Training amplifies one ulp into other weights, so every square root on the
book's CPU path is taken here instead.

:func:`exact_sqrt` takes NumPy's root, which is the IEEE instruction (``sqrtps``, correctly rounded on every chip;
25× faster than a float64 root rounded back). The test checks it bit for bit against that float64 route, which is
exact for another reason: the root of a float32 lies at least 2⁻⁵¹ (relative) from any float32 rounding midpoint,
and the float64 root is within one float64 ulp (2⁻⁵²) of the true one (``tests/test_exactmath.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


class _ExactSqrt(torch.autograd.Function):
    """NumPy's square root (the IEEE instruction) with torch's gradient, ``grad / (2·root)``."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        root = torch.from_numpy(np.asarray(np.sqrt(x.detach().numpy())))
        ctx.save_for_backward(root)
        return root

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:  # noqa: D102
        (root,) = ctx.saved_tensors
        return grad / (2 * root)


def exact_sqrt(x: torch.Tensor) -> torch.Tensor:
    """The correctly rounded square root of ``x``, the same bits on every CPU, with torch's gradient. On the CPU it
    is NumPy's ``sqrt`` (the IEEE instruction); CUDA's ``sqrt`` is correctly rounded already and is used as it is."""
    if x.device.type != "cpu" or not x.is_floating_point():
        return torch.sqrt(x)
    if x.dtype not in (torch.float32, torch.float64):  # half and bfloat16: NumPy has no bfloat16
        return _ExactSqrt.apply(x.float()).to(x.dtype)
    return _ExactSqrt.apply(x)


class PortableAdadelta(torch.optim.Adadelta):
    """``torch.optim.Adadelta`` with its two square roots correctly rounded on the CPU; on CUDA (or when capturable,
    for a CUDA graph) it is torch's own. The state (``step``, ``square_avg``, ``acc_delta``) is torch's, so
    checkpoints load in either.

    On the CPU the update runs in NumPy, in place on the tensors' memory, with torch's single-tensor order of
    operations: ``square_avg·ρ + ((1−ρ)·g)·g``, ``√(acc_delta + ε) / √(square_avg + ε) · g``, and so on, each a
    correctly rounded float32 operation, so the bits are torch's (with exact roots) on every CPU
    (``tests/test_exactmath.py`` holds them equal to the step written with torch's ops). On the reference path,
    where ATen runs unvectorised, that is 2.1 times faster than torch's ops (``bench/simdops.py``).
    """

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:  # type: ignore[override]
        """One Adadelta update of every parameter with a gradient."""
        params = [p for group in self.param_groups for p in group["params"]]
        if any(p.device.type != "cpu" for p in params) or any(g["capturable"] for g in self.param_groups):
            return super().step(closure)
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("Adadelta does not support sparse gradients")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = torch.zeros((), dtype=torch.float32)
                    state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["acc_delta"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["step"] += 1
                if p.dtype in (torch.float32, torch.float64) and p.is_contiguous() and p.grad.is_contiguous():
                    _adadelta_numpy(p, state, group, self._scratch(p))
                    torch.autograd.graph.increment_version(p)
                else:
                    _adadelta_torch(p, state, group)
        return loss

    def _scratch(self, p: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Two buffers of ``p``'s size and dtype, kept between steps (never in the state, so never checkpointed)."""
        buffers = self.__dict__.setdefault("_numpy_scratch", {})
        key = (p.numel(), p.dtype)
        if key not in buffers:
            dtype = np.float32 if p.dtype == torch.float32 else np.float64
            buffers[key] = (np.empty(p.numel(), dtype), np.empty(p.numel(), dtype))
        return buffers[key]


def _adadelta_numpy(p: torch.Tensor, state: dict[str, Any], group: dict[str, Any],
                    scratch: tuple[np.ndarray, np.ndarray]) -> None:
    """torch's single-tensor Adadelta update of one parameter, in NumPy, in place (``scratch``: two buffers of the
    parameter's size and dtype, so that no step allocates)."""
    rho, eps, lr, decay = group["rho"], group["eps"], group["lr"], group["weight_decay"]
    param, grad = p.detach().numpy(), p.grad.numpy()
    square_avg, acc_delta = state["square_avg"].numpy(), state["acc_delta"].numpy()
    f = param.dtype.type  # ATen casts each Python scalar to the tensor's dtype
    a, b = (buf.reshape(param.shape) for buf in scratch)
    if group["maximize"]:
        grad = -grad
    if decay != 0:
        grad = grad + f(decay) * param  # grad.add(p, alpha=decay)
    square_avg *= f(rho)  # square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho): self + (value·t1)·t2
    np.multiply(grad, f(1 - rho), out=a)
    a *= grad
    square_avg += a
    std = np.add(square_avg, f(eps), out=a)  # std = sqrt(square_avg + eps)
    np.sqrt(std, out=std)
    delta = np.add(acc_delta, f(eps), out=b)  # delta = sqrt(acc_delta + eps) / std · grad
    np.sqrt(delta, out=delta)
    delta /= std
    delta *= grad
    acc_delta *= f(rho)  # acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
    np.multiply(delta, f(1 - rho), out=a)
    a *= delta
    acc_delta += a
    delta *= f(-lr)  # p.add_(delta, alpha=-lr): self + alpha·other
    param += delta


def _adadelta_torch(p: torch.Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
    """torch's single-tensor Adadelta update of one parameter, with :func:`exact_sqrt` (dtypes NumPy lacks)."""
    rho, eps, lr, decay = group["rho"], group["eps"], group["lr"], group["weight_decay"]
    grad = -p.grad if group["maximize"] else p.grad
    if decay != 0:
        grad = grad.add(p, alpha=decay)
    square_avg, acc_delta = state["square_avg"], state["acc_delta"]
    square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
    std = exact_sqrt(square_avg.add(eps))
    delta = exact_sqrt(acc_delta.add(eps)).div_(std).mul_(grad)
    acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
    p.add_(delta, alpha=-lr)
