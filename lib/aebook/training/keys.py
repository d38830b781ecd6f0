"""Cache keys: a run's weights are stored under a digest of everything that changes them."""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import torch
from torch import nn


def tensor_digest(t: torch.Tensor) -> str:
    """Return a SHA-256 of a tensor's shape, dtype and values (used to key cached weights on the data)."""
    h = hashlib.sha256(f"{tuple(t.shape)}|{t.dtype}".encode())
    h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def source_digest(obj: Any) -> str:
    """A SHA-256 of an object's source code (empty when it has none to read): a change to it changes a cache key."""
    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError):
        source = ""
    return hashlib.sha256(source.encode()).hexdigest()


def describe(fn: Callable) -> str:
    """A function's name and a digest of its source (a bound method's object by its ``repr``), for a key."""
    name = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', type(fn).__name__)}"
    bound = f"[{getattr(fn, '__self__')!r}]" if inspect.ismethod(fn) else ""
    return f"{name}{bound}:{source_digest(fn)[:12]}"


def settings_key(
    model: nn.Module,
    data: torch.Tensor,
    config: Any,
    extra: Mapping[str, Any],
    loss_fn: Callable,
    constraints: Sequence[Callable] = (),
    snapshot_steps: Sequence[int] = (),
) -> str:
    """Hash the model (class source and architecture), the data, the settings (a dataclass), the loss and ``extra``
    into a key."""
    # Plain attributes hold settings that change the forward pass without changing any parameter's shape.
    settings = {
        f"{name}.{k}": v
        for name, module in model.named_modules()
        for k, v in vars(module).items()
        if not k.startswith("_") and k != "training" and isinstance(v, (bool, int, float, str, tuple, list))
    }
    spec = {
        "model": f"{type(model).__module__}.{type(model).__qualname__}",
        "model_source": source_digest(type(model)),
        "loss": f"{getattr(loss_fn, '__module__', '')}.{getattr(loss_fn, '__qualname__', type(loss_fn).__name__)}",
        "loss_source": source_digest(loss_fn),
        "architecture": repr(model),
        "settings": settings,
        "shapes": {k: list(v.shape) for k, v in model.state_dict().items()},
        "data": tensor_digest(data),
        "config": asdict(config),
        "extra": extra,
    }
    if constraints:  # only when present, so that keys of runs without constraints stay what they were
        spec["constraints"] = [(repr(c), source_digest(type(c))) for c in constraints]
    if snapshot_steps:  # likewise: a stored run without these snapshots must not be taken for one with them
        spec["snapshot_steps"] = sorted(set(int(s) for s in snapshot_steps))
    blob = json.dumps(spec, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
