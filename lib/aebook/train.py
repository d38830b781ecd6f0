"""Training one model: :func:`train`, the entry point of every recipe in the book, and the words a recipe uses
(:class:`TrainConfig`, :class:`TrainResult`, callbacks, constraints, the reconstruction loss).

Seeded, device-aware, cached by settings and resumable: the run's life (optimiser, checkpoints, budget, history,
the step loop, a CUDA graph where one is allowed) is :func:`aebook.training.lifecycle.run`'s, shared with the
stacked runs of :mod:`aebook.stacked`; this module gives it one model's step (:class:`SingleModel`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from aebook import recipes
from aebook.device import resolve_device
from aebook.paths import cache_dir as default_cache_dir
from aebook.training.graph import StepGraph, use_cuda_graph
from aebook.training.keys import settings_key
from aebook.training.lifecycle import data_on_device, initial_weights, run
from aebook.training.optim import OPTIMIZERS, planned_rows
from aebook.training.store import RunStore

LossFn = Callable[[nn.Module, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run; every field enters the cache key."""

    steps: int
    batch_size: int = 300
    lr: float = 1e-3
    seed: int = 0
    optimizer: str = "adam"
    weight_decay: float = 0.0
    checkpoint_every: int = 200  # steps between checks for a checkpoint (written once CHECKPOINT_SECONDS passed)

    def __post_init__(self) -> None:
        if not isinstance(self.steps, int) or self.steps < 0:
            raise ValueError(f"steps must be a non-negative integer, got {self.steps!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}: use one of {', '.join(OPTIMIZERS)}")
        if self.checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be at least 1, got {self.checkpoint_every!r}")



@dataclass
class StepContext:
    """What a per-step callback sees: the step, the model, the batch and the loss before the update."""

    step: int
    model: nn.Module
    batch: torch.Tensor
    loss: torch.Tensor
    logs: dict[str, torch.Tensor | float] = field(default_factory=dict)  # read back every few hundred steps


#: A callback may return a tensor, which is added to the loss (a regulariser), or ``None`` (logging only).
Callback = Callable[[StepContext], torch.Tensor | None]
#: Applied to the model after every optimiser step, without gradients (a projection such as a norm constraint).
#: Its ``repr`` must name its settings: it goes into the cache key.
Constraint = Callable[[nn.Module], None]


@dataclass
class TrainResult:
    """A trained model with its loss history, where it came from, and how long training took."""

    model: nn.Module
    history: dict[str, list[float]]
    key: str
    from_cache: bool
    seconds: float
    device: str
    snapshots: dict[int, dict[str, torch.Tensor]] = field(default_factory=dict)  # step → state_dict (on the CPU)
    graphed: bool = False  # whether this run's steps were replayed as a CUDA graph (False for a run from the cache)


def reconstruction_mse(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    """Mean squared error between a batch and the model's reconstruction of it."""
    return nn.functional.mse_loss(model(batch), batch)


class SingleModel:
    """One model's step for :func:`aebook.training.lifecycle.run`: a batch of ``data`` at the planned rows, the loss,
    the callbacks' extra losses and logs, the optimiser's step and the constraints. A loss with
    ``plan(data, config, device)``, ``at_step(step)`` and ``release()`` draws its steps' noise ahead."""

    def __init__(self, model: nn.Module, data: torch.Tensor, config: TrainConfig, dev: torch.device,
                 loss_fn: LossFn = reconstruction_mse, callbacks: Sequence[Callback] = (),
                 constraints: Sequence[Constraint] = (), graphed: bool = False) -> None:
        self.model, self.data, self.config, self.dev = model, data, config, dev
        self.loss_fn, self.callbacks, self.constraints = loss_fn, list(callbacks), list(constraints)
        self.source = data_on_device(data, dev)
        self.plan_device = self.source.device
        self.loss_shape: tuple[int, ...] = ()
        self.graphed = graphed  # a graph keeps its gradients' addresses: they are zeroed, not dropped
        self.planned_loss = callable(getattr(loss_fn, "plan", None))
        self.current = 0

    def parameters(self) -> list[torch.Tensor]:
        """The model's parameters."""
        return list(self.model.parameters())

    def state(self) -> list[torch.Tensor]:
        """The model's weights and buffers."""
        return list(self.model.state_dict().values())

    def plan(self, first: int, stop: int) -> dict[str, torch.Tensor]:
        """The batch rows of steps ``first`` … ``stop − 1``."""
        return {"rows": planned_rows(len(self.source), self.config.batch_size, self.config.seed, first, stop,
                                     self.plan_device)}

    def before_step(self, step: int) -> None:
        """Remember the step (the callbacks see it) and move a planned loss to it."""
        self.current = step
        if self.planned_loss:
            self.loss_fn.at_step(step)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """The model in training mode, a planned loss's noise drawn, and released at the end."""
        self.model.train()
        if self.planned_loss:
            self.loss_fn.plan(self.data, self.config, self.dev)
        try:
            yield
        finally:
            if self.planned_loss:
                self.loss_fn.release()

    def step(self, inputs: Mapping[str, torch.Tensor], optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        """One step on the batch at ``inputs["rows"]``; returns the loss (before the callbacks' terms) and logs."""
        batch = self.source[inputs["rows"]].to(self.dev, non_blocking=True)
        loss = self.loss_fn(self.model, batch)
        ctx = StepContext(self.current, self.model, batch, loss)
        total = loss
        for cb in self.callbacks:
            extra_loss = cb(ctx)
            if extra_loss is not None:
                total = total + extra_loss
        optimizer.zero_grad(set_to_none=not self.graphed)
        total.backward()
        optimizer.step()
        if self.constraints:
            with torch.no_grad():
                for constraint in self.constraints:
                    constraint(self.model)
        return {"loss": loss.detach(), **ctx.logs}

    def step_graph(self, optimizer: torch.optim.Optimizer, start: int, stop: int,
                   window: int | None = None) -> StepGraph:
        """This step on static buffers from ``start`` to ``stop`` (what :func:`run` builds)."""
        return StepGraph(lambda inputs: self.step(inputs, optimizer), self.plan, optimizer, self.state(), start,
                         stop, self.plan_device, window)

    def weights(self) -> dict[str, Any]:
        """The checkpoint's ``state_dict``."""
        return {"state_dict": self.model.state_dict()}

    def load_weights(self, state: Mapping[str, Any]) -> None:
        """The weights back from a checkpoint."""
        self.model.load_state_dict(state["state_dict"])

    def snapshot(self) -> dict[str, torch.Tensor]:
        """The weights now, on the CPU."""
        return {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}

    def records(self, history: dict[str, list[Any]], seconds: float,
                snapshots: dict[int, dict[str, torch.Tensor]]) -> list[dict[str, Any]]:
        """The model in evaluation mode, and its finished record."""
        self.model.eval()
        return [{"state_dict": self.model.state_dict(), "history": history, "seconds": seconds,
                 "snapshots": snapshots}]


def loaded(model: nn.Module, stored: Mapping[str, Any], key: str, dev: torch.device) -> TrainResult:
    """A finished run from the weight cache: ``model`` with its stored weights, in evaluation mode."""
    model.to(dev).load_state_dict(stored["state_dict"])
    model.eval()
    return TrainResult(model, stored["history"], key, True, float(stored["seconds"]), str(dev),
                       stored.get("snapshots", {}))


def train(
    model: nn.Module,
    data: torch.Tensor,
    config: TrainConfig,
    *,
    loss_fn: LossFn = reconstruction_mse,
    callbacks: Sequence[Callback] = (),
    constraints: Sequence[Constraint] = (),
    snapshot_steps: Sequence[int] = (),
    extra_key: Mapping[str, Any] | None = None,
    name: str = "train",
    device: str = "auto",
    cache: bool = True,
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train ``model`` on batches drawn from ``data`` (first axis = examples), or load it from the weight cache.

    The model's initial weights are set from ``config.seed`` here (:func:`initial_weights`), so two calls with
    equal settings give equal models. ``constraints`` run after every optimiser step (and are part of the key).
    The weights after each of ``snapshot_steps`` steps (0 = the initial weights) are kept, stored with the run and
    returned as ``snapshots``. ``extra_key`` must describe anything else that changes the result (a regulariser's
    weight, say). Checkpoints are written every ``config.checkpoint_every`` steps and on interruption; a later call
    with the same settings resumes from the last one. Finished weights are stored as ``<cache_dir>/<key>.pt``. When
    ``$AEBOOK_DEADLINE`` (a run's time budget) passes, training checkpoints and raises ``TimeBudgetExceeded``.
    A loss with ``plan(data, config, device)``, ``at_step(step)`` and ``release()`` (such as
    :class:`aebook.losses.DenoisingMSE`) draws its steps' noise ahead instead of at every step.
    On CUDA the step runs as a replayed graph where :func:`use_cuda_graph` allows it.
    """
    if len(data) == 0:
        raise ValueError("data is empty: nothing to train on")
    extra = dict(extra_key or {})
    initial_weights(model, config.seed)
    wanted = sorted(set(int(s) for s in snapshot_steps))
    if wanted and (wanted[0] < 0 or wanted[-1] > config.steps):
        raise ValueError(f"snapshot steps must lie in [0, {config.steps}], got {wanted}")
    key = settings_key(model, data, config, extra, loss_fn, constraints, wanted)
    recipes.note(key, recipes.recipe(model, data, config, extra))
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    store = RunStore(folder, [key], f"{key}.ckpt", enabled=cache)
    dev = resolve_device(device)
    model.to(dev)
    if hasattr(model, "on_device"):  # a model's own layout for the device (channels-last on a GPU, say)
        model.on_device(dev)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest convolution once
    if store.finished():
        return loaded(model, store.load_finished(dev)[0], key, dev)
    strategy = SingleModel(model, data, config, dev, loss_fn, callbacks, constraints)
    strategy.graphed = use_cuda_graph(dev, config, callbacks) and strategy.source.device == dev
    finished = run(strategy, store, config, dev, graphed=strategy.graphed, snapshot_steps=wanted, name=name,
                   progress=progress)
    record = finished.records[0]
    return TrainResult(model, record["history"], key, False, record["seconds"], str(dev), record["snapshots"],
                       graphed=finished.graphed)
