"""The one life of a training run, whatever trains: one model (:func:`aebook.train.train`) or many stacked into one
vectorised step (:func:`aebook.stacked.train_stacked`).

A :class:`Strategy` says what a step is (its planned inputs, its body) and how its weights are kept; :func:`run`
owns everything else, once: the optimiser, resuming from a checkpoint, the training threads, the time budget, the
step loop through a :class:`~aebook.training.graph.StepGraph` (replayed as a CUDA graph where allowed, eager
otherwise), the loss history, snapshots, checkpoints on a cadence and on interruption, and the finished records.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import nn
from tqdm.auto import tqdm

from aebook import budget, settings
from aebook.training.graph import StepGraph, capture_or_warn
from aebook.training.optim import load_optimizer_state, optimizer_for
from aebook.training.store import RunStore, rng_state, set_rng_state

#: Steps between two reads of the losses back from the device (each read waits for the device to finish).
HISTORY_FLUSH_STEPS = 200
#: Training data at most this share of the GPU's free memory is moved there once, not batch by batch.
DATA_ON_DEVICE_SHARE = 0.25


def initial_weights(model: nn.Module, seed: int) -> nn.Module:
    """Put ``model`` at the initial weights every run with ``seed`` starts from (each layer's own initialisation
    under that seed, then the model's ``after_reset``, a pose starting at the identity, say); return it."""
    torch.manual_seed(seed)
    for module in model.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
    if hasattr(model, "after_reset"):
        model.after_reset()
    return model


def untrained(model: nn.Module, seed: int) -> nn.Module:
    """A copy of ``model`` (trained or not) at the initial weights a run with ``seed`` starts it from, on the CPU in
    evaluation mode: the control where nothing has been learnt. Any change made to the architecture after
    construction (a bias removed, say) is kept, so it is the very network that training started from."""
    return initial_weights(copy.deepcopy(model).cpu(), seed).eval()


def train_threads() -> int:
    """The number of torch threads training uses on the CPU (``$AEBOOK_TRAIN_THREADS``, default 2)."""
    return settings.train_threads()


@contextlib.contextmanager
def fixed_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch intra-op threads, then restore the previous count."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def data_on_device(data: torch.Tensor, dev: torch.device) -> torch.Tensor:
    """``data`` moved to ``dev`` once when it fits comfortably in its free memory; otherwise left where it is."""
    if dev.type != "cuda" or data.device == dev:
        return data
    free, _ = torch.cuda.mem_get_info(dev)
    return data.to(dev) if data.numel() * data.element_size() <= DATA_ON_DEVICE_SHARE * free else data


class History:
    """Per-step losses and logs, kept as device tensors and read back every ``HISTORY_FLUSH_STEPS`` steps. Each
    step's value has ``shape``: ``()`` for one model (read back as a float), ``(members,)`` for a stacked run (a
    list, one value per member)."""

    def __init__(self, history: Mapping[str, Any] | None = None, shape: tuple[int, ...] = ()) -> None:
        self.shape = shape
        # a checkpoint may hold a log as one tensor of steps (written before the record was lists)
        self.history: dict[str, list[Any]] = {k: v.tolist() if torch.is_tensor(v) else list(v)
                                              for k, v in (history or {}).items()}
        self.pending: dict[str, list[torch.Tensor | float]] = {}

    def add(self, name: str, value: torch.Tensor | float) -> None:
        """Record one step's value (a tensor stays on its device until the next flush)."""
        self.pending.setdefault(name, []).append(value.detach() if isinstance(value, torch.Tensor) else float(value))

    def flush(self) -> dict[str, list[Any]]:
        """Read every pending value back (one device sync) and return the whole history."""
        for name, values in self.pending.items():
            tensors = [v for v in values if isinstance(v, torch.Tensor)]
            read = iter(torch.stack([t.reshape(self.shape) for t in tensors]).tolist()) if tensors else iter(())
            self.history.setdefault(name, []).extend(next(read) if isinstance(v, torch.Tensor) else v
                                                     for v in values)
        self.pending = {}
        return self.history

    def truncate(self, steps: int) -> dict[str, list[Any]]:
        """Flush, and keep at most ``steps`` values of each log (an interrupted step is not finished)."""
        self.history = {k: v[:steps] for k, v in self.flush().items()}
        return self.history


class Strategy(Protocol):
    """What trains: the tensors a step changes, its planned inputs, the step itself, and how its weights are kept."""

    #: the device of the planned inputs (a step's static buffers)
    plan_device: torch.device
    #: the shape of one step's loss: ``()`` for one model, ``(members,)`` for a stacked run
    loss_shape: tuple[int, ...]

    def parameters(self) -> list[torch.Tensor]:
        """What the optimiser updates."""

    def state(self) -> list[torch.Tensor]:
        """Every tensor a step changes besides the optimiser's state (weights and buffers)."""

    def plan(self, first: int, stop: int) -> Mapping[str, torch.Tensor]:
        """The per-step inputs of steps ``first`` … ``stop − 1`` (see :data:`aebook.training.graph.Plan`)."""

    def step(self, inputs: Mapping[str, torch.Tensor], optimizer: torch.optim.Optimizer) -> Mapping[str, Any]:
        """One step on one step's inputs; returns its logs, ``"loss"`` among them."""

    def before_step(self, step: int) -> None:
        """Called before step ``step`` runs (a loss that draws its noise ahead moves to it)."""

    def running(self) -> contextlib.AbstractContextManager:
        """A context held while the steps run (a loss's planned noise, the training mode)."""

    def weights(self) -> dict[str, Any]:
        """The checkpoint's entries that hold the weights."""

    def load_weights(self, state: Mapping[str, Any]) -> None:
        """Take the weights back from a checkpoint written by :meth:`weights`."""

    def snapshot(self) -> dict[str, torch.Tensor]:
        """The weights now, on the CPU."""

    def records(self, history: dict[str, list[Any]], seconds: float,
                snapshots: dict[int, dict[str, torch.Tensor]]) -> list[dict[str, Any]]:
        """The finished record of each model (``state_dict``, ``history``, ``seconds``, ``snapshots``)."""


@dataclass
class Finished:
    """What :func:`run` leaves: each model's finished record, and whether its steps were replayed as a CUDA graph."""

    records: list[dict[str, Any]]
    graphed: bool


def run(strategy: Strategy, store: RunStore, config: Any, dev: torch.device, *, graphed: bool,
        snapshot_steps: Sequence[int] = (), name: str = "training", progress: bool = False) -> Finished:
    """Train ``strategy`` for ``config.steps`` steps on ``dev``, from ``store``'s checkpoint when it has one, and
    store the finished records. Checkpoints are written every ``config.checkpoint_every`` steps (at most every
    ``CHECKPOINT_SECONDS``) and on any interruption, with every finished step; ``$AEBOOK_DEADLINE`` stops the run
    with :class:`aebook.budget.TimeBudgetExceeded` after such a checkpoint. ``graphed``: replay the step as a CUDA
    graph (the optimiser is then built capturable)."""
    optimizer = optimizer_for(config, strategy.parameters(), graphed, dev)
    wanted = sorted(set(int(s) for s in snapshot_steps))
    snapshots: dict[int, dict[str, torch.Tensor]] = {}
    start, seconds, record = 0, 0.0, History(shape=strategy.loss_shape)
    state = store.resume(dev)
    if state is not None:
        strategy.load_weights(state)
        load_optimizer_state(optimizer, state["optimizer"])
        record = History(state["history"], strategy.loss_shape)
        start, seconds = int(state["step"]), float(state["seconds"])
        snapshots = state.get("snapshots", {})
        set_rng_state(state.get("rng"), dev)
    rng_next = rng_state(dev)  # the random state at the start of the first step not yet finished

    def snapshot(step: int) -> None:
        if step in wanted:
            snapshots[step] = strategy.snapshot()

    def checkpoint(step: int, elapsed: float) -> None:
        store.checkpoint({**strategy.weights(), "optimizer": optimizer.state_dict(), "history": record.flush(),
                          "snapshots": snapshots, "step": step, "seconds": elapsed, "rng": rng_next})

    def keep_finished_steps() -> None:
        # Interrupted (Ctrl-C, a kernel interrupt, an error, the budget): keep every finished step for the next call.
        done = len(record.flush().get("loss", []))
        record.truncate(done)
        checkpoint(done, seconds + time.perf_counter() - t0)

    t0 = time.perf_counter()
    stepper: StepGraph | None = None
    bar = tqdm(total=config.steps, initial=start, desc=name, disable=not progress, mininterval=1.0)
    threads = fixed_threads(train_threads()) if dev.type == "cpu" else contextlib.nullcontext()
    stop_at = budget.deadline()
    with threads, store.keep_on_interrupt(keep_finished_steps):
        try:
            with strategy.running():
                if start < config.steps:
                    stepper = StepGraph(lambda inputs: strategy.step(inputs, optimizer), strategy.plan, optimizer,
                                        strategy.state(), start, config.steps, strategy.plan_device)
                    if graphed:
                        capture_or_warn(stepper, name)
                for step in range(start, config.steps):
                    budget.check(stop_at, name)
                    snapshot(step)
                    strategy.before_step(step)
                    logs = dict(stepper.run(step))
                    record.add("loss", logs.pop("loss"))
                    rng_next = rng_state(dev)
                    for k, v in logs.items():
                        record.add(k, v)
                    bar.update(1)
                    if (step + 1) % HISTORY_FLUSH_STEPS == 0 or step + 1 == config.steps:
                        last = record.flush()["loss"][-1]  # reading back bounds what waits on the device
                        if progress:
                            bar.set_postfix(loss=f"{_mean(last):.4g}", refresh=False)
                    if step + 1 < config.steps and store.due(step + 1, config.checkpoint_every):
                        checkpoint(step + 1, seconds + time.perf_counter() - t0)
        finally:
            bar.close()
    history = record.flush()
    seconds += time.perf_counter() - t0
    snapshot(config.steps)
    records = strategy.records(history, seconds, snapshots)
    store.finish(records)
    return Finished(records, graphed=stepper is not None and stepper.graph is not None)


def _mean(value: float | list[float]) -> float:
    return sum(value) / len(value) if isinstance(value, list) else value
