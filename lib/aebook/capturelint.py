"""What would stop a training step from being captured as a CUDA graph, found on the CPU.

A CUDA graph replays the kernels of one step; it cannot replay the host. A step that builds a tensor from Python
values (``torch.tensor([...])``: a host-to-device copy on a GPU), reads a value back (``float(t)``, ``.item()``), or
asks for a data-dependent shape (``nonzero``, ``masked_select``) syncs with the host, and capture fails or falls back
to eager steps. :class:`CaptureLint` records such operators as torch dispatches them, on any device, so the unit
tests can run one step of every model and loss of the book on the CPU and ask for none (the GPU review's lint).
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

#: Operators that sync with the host or copy from it inside a step, and why each breaks a capture.
FLAGGED = {
    "aten::lift_fresh": "a tensor made from Python values (a host copy on a GPU)",
    "aten::_local_scalar_dense": "a value read back to the host (.item(), float(t), bool(t))",
    "aten::nonzero": "a data-dependent shape (nonzero)",
    "aten::masked_select": "a data-dependent shape (masked_select)",
}


class CaptureLint(TorchDispatchMode):
    """A dispatch mode that notes every :data:`FLAGGED` operator run inside it, in ``found`` (name, reason)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        name = func._schema.name
        if name in FLAGGED:
            self.found.append((name, FLAGGED[name]))
        elif name in ("aten::index", "aten::index_put_", "aten::index_put") and _bool_index(args):
            self.found.append((name, "a boolean mask as an index (a data-dependent shape)"))
        return func(*args, **(kwargs or {}))


def _bool_index(args: tuple) -> bool:
    """Whether an ``index``/``index_put`` call indexes with a boolean mask (``t[t > 0]``)."""
    indices = args[1] if len(args) > 1 else ()
    return any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in indices or ())


def lint_step(step: Any) -> list[tuple[str, str]]:
    """Run ``step()`` (one training step: forward, loss, backward) under :class:`CaptureLint`; what it flagged."""
    with CaptureLint() as lint:
        step()
    return lint.found


def backward_step(model: torch.nn.Module, loss_fn: Any, batch: torch.Tensor) -> Any:
    """A step of ``loss_fn(model, batch)`` (a tensor, or a tuple whose first item is the loss) and its backward."""

    def step() -> None:
        model.zero_grad(set_to_none=True)
        out = loss_fn(model, batch)
        (out[0] if isinstance(out, tuple) else out).backward()

    return step
