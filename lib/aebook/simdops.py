"""Elementwise layers computed by NumPy on the CPU: the same bits as ATen's, many times faster on the reference path.

The book's reference float path runs ATen unvectorised (``ATEN_CPU_CAPABILITY=default``, so that every x86-64 CPU
computes the same bits; :mod:`aebook.book.floatpath`). Its leaky ReLU, forward and backward, then takes 7.8 ms on a
(64, 8, 32, 32) batch where NumPy's SIMD loops take 2.5 ms, and a training step of the disks autoencoder 38 ms
instead of 30 (``bench/simdops.py``, one thread). A product, a maximum, a comparison and a copy are exact in IEEE
arithmetic at any vector width, so NumPy gives the bits ATen gives on every CPU, the unvectorised path's
included (``tests/test_simdops.py`` holds them equal, forward, backward and second derivative, and through a
training run). On CUDA, under ``torch.func``'s transforms, and for dtypes NumPy lacks, these are torch's own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils._python_dispatch import _get_current_dispatch_mode
from torch import nn
from torch.nn import functional as F


class _LeakyReLU(torch.autograd.Function):
    """``leaky_relu(x, slope)`` for 0 < slope ≤ 1 as ``max(x, slope·x)``, and its derivative ``max([x > 0], slope)``,
    in NumPy. The derivative is a second output (never differentiated) that the backward multiplies by."""

    @staticmethod
    def forward(x: torch.Tensor, slope: float) -> tuple[torch.Tensor, torch.Tensor]:  # noqa: D102
        a = x.detach().numpy()
        s = a.dtype.type(slope)
        y = a * s  # ATen: x > 0 ? x : x * slope, the same product
        np.maximum(a, y, out=y)
        d = np.greater(a, 0).astype(a.dtype)  # NaN > 0 is false, as in ATen's backward
        np.maximum(d, s, out=d)
        return torch.from_numpy(y), torch.from_numpy(d)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: tuple[torch.Tensor, torch.Tensor]) -> None:  # noqa: D102
        ctx.mark_non_differentiable(output[1])
        ctx.set_materialize_grads(False)  # no zero gradient is filled in for the derivative output
        ctx.save_for_backward(output[1])

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor | None, _: Any) -> tuple[torch.Tensor | None, None]:  # noqa: D102
        (d,) = ctx.saved_tensors
        # grad · 1 is grad and grad · slope is ATen's product: the same bits
        return (None if grad is None else _scaled(grad, d)), None


class _Scale(torch.autograd.Function):
    """``g · d`` in NumPy for a ``d`` that is never differentiated (the leaky ReLU's derivative): linear in ``g``, so
    its backward (a second derivative) is itself."""

    @staticmethod
    def forward(g: torch.Tensor, d: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return torch.from_numpy(np.multiply(g.detach().numpy(), d.detach().numpy()))

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[torch.Tensor, torch.Tensor], output: torch.Tensor) -> None:  # noqa: D102
        ctx.save_for_backward(inputs[1])

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # noqa: D102
        (d,) = ctx.saved_tensors
        return _scaled(grad, d), None


def _scaled(g: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    if g.shape != d.shape or not (_numpy_ok(g) and _numpy_ok(d)) or g.dtype != d.dtype:
        return g * d
    return _Scale.apply(g, d)


def _numpy_ok(x: torch.Tensor) -> bool:
    # torch.func's tensors (vmap, jacrev) keep torch's op: under vmap, disks/04's stacked training gave other bits
    # in its type-2 member after ten steps with this op (every op's bits equal; the cause was not traced)
    # under a Python dispatch mode (aebook.capturelint's, which reads the step a GPU would run) torch's op as well
    return (x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64) and not x.is_sparse
            and not torch._C._functorch.is_functorch_wrapped_tensor(x) and _get_current_dispatch_mode() is None)


def leaky_relu(x: torch.Tensor, slope: float = 0.01) -> torch.Tensor:
    """``torch.nn.functional.leaky_relu(x, slope)``, the same bits, computed by NumPy on the CPU."""
    if not 0.0 < slope <= 1.0 or not _numpy_ok(x):  # slope 0 would make inf · 0 a NaN
        return F.leaky_relu(x, slope)
    return _LeakyReLU.apply(x, slope)[0]


class _Upsample2x(torch.autograd.Function):
    """Nearest ×2 upsampling of (n, c, h, w) in NumPy (a copy, so the same bits); the backward is ATen's own."""

    @staticmethod
    def forward(x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        a = x.detach().numpy()
        n, c, h, w = a.shape
        out = np.empty((n, c, h, 2, w, 2), a.dtype)
        out[...] = a[:, :, :, None, :, None]
        return torch.from_numpy(out.reshape(n, c, 2 * h, 2 * w))

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:  # noqa: D102
        ctx.input_size = list(inputs[0].shape)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:  # noqa: D102
        # what autograd calls for F.interpolate(x, scale_factor=2): the sum over each 2×2 block in ATen's order
        size = ctx.input_size
        return torch.ops.aten.upsample_nearest2d_backward(grad, [2 * size[2], 2 * size[3]], size, 2.0, 2.0)


class Upsample(nn.Upsample):
    """``torch.nn.Upsample`` (same name, arguments and repr); nearest ×2 of a 4-d input is copied by NumPy."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        if (self.mode != "nearest" or self.size is not None or self.scale_factor not in (2, 2.0, (2.0, 2.0))
                or self.recompute_scale_factor or x.dim() != 4 or not _numpy_ok(x)):
            return super().forward(x)
        return _Upsample2x.apply(x)


class LeakyReLU(nn.LeakyReLU):
    """``torch.nn.LeakyReLU`` (same name, arguments and repr) computed by :func:`leaky_relu`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        if self.inplace:
            return super().forward(x)
        return leaky_relu(x, self.negative_slope)
