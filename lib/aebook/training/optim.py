"""The optimisers the book trains with, and the batches each step draws: one definition for every strategy and
device."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch

from aebook.exactmath import PortableAdadelta

OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "sgd": torch.optim.SGD,
    # Lasagne's defaults (rho 0.95, eps 1e-6; paper 004 trains with them), lr 1.0 being Lasagne's default too; its
    # square roots correctly rounded on the CPU, so that it trains the same bits on every CPU
    "adadelta": functools.partial(PortableAdadelta, rho=0.95, eps=1e-6),
}


def make_optimizer(name: str, params: Any, lr: float, weight_decay: float, dev: torch.device) -> torch.optim.Optimizer:
    """The optimiser ``name``. Adam is the fused kernel on every device: on CUDA one launch for all parameters; on
    the CPU its square root is the IEEE instruction, where the unfused update's ``torch.sqrt`` goes to MKL's vector
    math library and gives other bits on other CPUs (:mod:`aebook.exactmath`)."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)
    return OPTIMIZERS[name](params, lr=lr, weight_decay=weight_decay)


def capturable_optimizer(name: str, params: Any, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """The optimiser ``name`` built to run inside a CUDA graph (its step counters on the device)."""
    if name not in ("adam", "adadelta"):
        raise ValueError(f"no capturable form of the optimiser {name!r} here: use 'adam' or 'adadelta'")
    optimizer = OPTIMIZERS[name](params, lr=lr, weight_decay=weight_decay, capturable=True)
    # it steps outside a capture on purpose (priming, the warm-up, an eager fallback): torch's warning about that
    # would print once in every paper-run notebook (the GPU review's G9)
    optimizer._warned_capturable_if_run_uncaptured = True
    return optimizer


def optimizer_for(config: Any, params: Any, graphed: bool, dev: torch.device) -> torch.optim.Optimizer:
    """The optimiser of a run with ``config``: the capturable form when its step is replayed as a CUDA graph."""
    if graphed:
        return capturable_optimizer(config.optimizer, params, config.lr, config.weight_decay)
    return make_optimizer(config.optimizer, params, config.lr, config.weight_decay, dev)


#: Settings of an optimiser's param groups that describe how it runs, not what it learns: a checkpoint keeps its own,
#: and loading it must not impose them on the optimiser that resumes.
_HOW_IT_RUNS = ("capturable", "fused", "foreach", "differentiable")


def load_optimizer_state(optimizer: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    """``optimizer.load_state_dict(state)``, keeping the optimiser's own way of running (capturable, fused, foreach)
    and its step counters where that way wants them (on the parameter's device for a capturable or fused optimiser,
    on the CPU otherwise): a checkpoint written by an eager or CPU run resumes in a CUDA graph, and one written by a
    graphed run resumes on a CPU (the GPU review's G6)."""
    own = [{k: group[k] for k in _HOW_IT_RUNS if k in group} for group in optimizer.param_groups]
    optimizer.load_state_dict(state)
    for group, flags in zip(optimizer.param_groups, own):
        group.update(flags)
        on_device = bool(group.get("capturable") or group.get("fused"))
        for p in group["params"]:
            step = optimizer.state.get(p, {}).get("step")
            if torch.is_tensor(step):
                optimizer.state[p]["step"] = step.to(p.device if on_device else "cpu")


def batch_indices(n: int, batch_size: int, seed: int, step: int) -> torch.Tensor:
    """The rows of batch ``step`` of a run with ``seed``: one generator per step, so the batch drawn at a step does
    not depend on where a run was resumed (and stacked training draws the same batches as ``train``)."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + step)
    return torch.randint(n, (batch_size,), generator=g)


def planned_rows(n: int, batch_size: int, seed: int, start: int, stop: int,
                 device: torch.device | str = "cpu") -> torch.Tensor:
    """The batch rows of steps ``start`` … ``stop − 1`` of a run with ``seed``, as one (steps, batch) tensor on
    ``device``: row ``s − start`` equals ``batch_indices(n, batch_size, seed, s)``."""
    if not 0 <= start <= stop:
        raise ValueError(f"need 0 ≤ start ≤ stop, got {start} and {stop}")
    if stop == start:
        return torch.empty((0, batch_size), dtype=torch.long, device=device)
    return torch.stack([batch_indices(n, batch_size, seed, s) for s in range(start, stop)]).to(device)
