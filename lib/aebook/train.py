"""The one training loop of the book: seeded, device-aware, cached by settings, resumable from checkpoints."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from aebook import budget, recipes, settings
from aebook.device import resolve_device
from aebook.exactmath import PortableAdadelta
from aebook.paths import cache_dir as default_cache_dir
from aebook.runstore import CHECKPOINT_SECONDS, RunStore, rng_state, save_atomic, set_rng_state  # noqa: F401

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


OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "sgd": torch.optim.SGD,
    # Lasagne's defaults (rho 0.95, eps 1e-6; paper 004 trains with them), lr 1.0 being Lasagne's default too; its
    # square roots correctly rounded on the CPU, so that it trains the same bits on every CPU
    "adadelta": functools.partial(PortableAdadelta, rho=0.95, eps=1e-6),
}


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


def settings_key(
    model: nn.Module,
    data: torch.Tensor,
    config: TrainConfig,
    extra: Mapping[str, Any],
    loss_fn: LossFn = reconstruction_mse,
    constraints: Sequence[Constraint] = (),
    snapshot_steps: Sequence[int] = (),
) -> str:
    """Hash the model (class source and architecture), the data, the settings, the loss and ``extra`` into a key."""
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


#: Torch threads while training on the CPU, whatever the machine: a thread count changes how sums are split, and
#: training amplifies that, so a fixed count makes a 2-core laptop and a 16-core server train the same weights.
#: Two is what the paper runs were made with (on 2 cores); ``$AEBOOK_TRAIN_THREADS`` overrides it.
DEFAULT_TRAIN_THREADS = settings.DEFAULT_TRAIN_THREADS


def train_threads() -> int:
    """The number of torch threads training uses on the CPU (``$AEBOOK_TRAIN_THREADS``, default 2)."""
    return settings.train_threads()


@contextlib.contextmanager
def fixed_threads(n: int):
    """Run the block with ``n`` torch intra-op threads, then restore the previous count."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


#: Steps between two reads of the losses back from the device (each read waits for the device to finish).
HISTORY_FLUSH_STEPS = 200
#: Training data at most this share of the GPU's free memory is moved there once, not batch by batch.
DATA_ON_DEVICE_SHARE = 0.25


def data_on_device(data: torch.Tensor, dev: torch.device) -> torch.Tensor:
    """``data`` moved to ``dev`` once when it fits comfortably in its free memory; otherwise left where it is."""
    if dev.type != "cuda" or data.device == dev:
        return data
    free, _ = torch.cuda.mem_get_info(dev)
    return data.to(dev) if data.numel() * data.element_size() <= DATA_ON_DEVICE_SHARE * free else data


def make_optimizer(name: str, params: Any, lr: float, weight_decay: float, dev: torch.device) -> torch.optim.Optimizer:
    """The optimiser ``name``. Adam is the fused kernel on every device: on CUDA one launch for all parameters; on
    the CPU its square root is the IEEE instruction, where the unfused update's ``torch.sqrt`` goes to MKL's vector
    math library and gives other bits on other CPUs (:mod:`aebook.exactmath`)."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)
    return OPTIMIZERS[name](params, lr=lr, weight_decay=weight_decay)


class _History:
    """Per-step losses and logs, kept as device tensors and read back every ``HISTORY_FLUSH_STEPS`` steps."""

    def __init__(self, history: dict[str, list[float]]) -> None:
        self.history = history
        self.pending: dict[str, list[torch.Tensor | float]] = {}

    def add(self, name: str, value: torch.Tensor | float) -> None:
        """Record one step's value (a tensor stays on its device until the next flush)."""
        self.pending.setdefault(name, []).append(value.detach() if isinstance(value, torch.Tensor) else float(value))

    def flush(self) -> dict[str, list[float]]:
        """Read every pending value back (one device sync) and return the whole history."""
        for name, values in self.pending.items():
            tensors = [v for v in values if isinstance(v, torch.Tensor)]
            read = iter(torch.stack([t.reshape(()) for t in tensors]).tolist()) if tensors else iter(())
            self.history.setdefault(name, []).extend(next(read) if isinstance(v, torch.Tensor) else v
                                                     for v in values)
        self.pending = {}
        return self.history


def use_cuda_graph(dev: torch.device, config: TrainConfig, callbacks: Sequence[Callback]) -> bool:
    """Whether :func:`train` (and :func:`aebook.stacked.train_stacked`) run their steps as a replayed CUDA graph
    (:mod:`aebook.graphstep`): on CUDA, for Adam and Adadelta, without callbacks (their logs are read on the host),
    unless ``$AEBOOK_CUDA_GRAPH`` is ``0``. The CPU never does: its loop is the reference the committed outputs were
    made with."""
    return (dev.type == "cuda" and not callbacks and config.optimizer in ("adam", "adadelta")
            and settings.cuda_graph() != "0")


def _graphed_step(model: nn.Module, loss_fn: LossFn, optimizer: torch.optim.Optimizer, source: torch.Tensor,
                  config: TrainConfig, start: int, constraints: Sequence[Constraint], name: str = "a run"):
    """The step of :func:`train` on static buffers from ``start`` on, captured as a CUDA graph; when capture fails
    the same step runs eagerly (with a warning), so a model a graph cannot hold still trains."""
    from aebook.graphstep import GraphedStep

    stepper = GraphedStep(model, loss_fn, optimizer, source, config.seed, config.batch_size, start, config.steps,
                          constraints)
    capture_or_warn(stepper, name)
    return stepper


class CaptureFailed(RuntimeError):
    """A CUDA graph capture failed under ``AEBOOK_CUDA_GRAPH=strict``."""


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


def capture_or_warn(stepper, name: str = "a run") -> bool:
    """Capture ``stepper`` (a :class:`aebook.graphstep.StepGraph`) as a CUDA graph; whether it was captured.

    When capture fails the step runs eagerly, so that a model a graph cannot hold still trains, and the failure is
    said twice: a warning in the notebook and one line on stderr (which the runner's log keeps). Under
    ``AEBOOK_CUDA_GRAPH=strict`` (checks, benchmarks) it raises :class:`CaptureFailed` instead: on torch 2.11 a
    failed capture can leave the allocator unable to capture again in that process (the GPU review's G2), so later
    runs would go eager too while their timings read as graph timings."""
    import sys
    import warnings

    try:
        stepper.capture()
    except Exception as exc:  # noqa: BLE001 - any capture failure falls back to the eager step
        message = f"CUDA graph capture failed for {name} ({type(exc).__name__}: {exc})"
        if settings.cuda_graph() == "strict":
            raise CaptureFailed(message) from exc
        print(f"aebook: {message}; running the step eagerly", file=sys.stderr, flush=True)
        warnings.warn(f"{message}; running the step eagerly", RuntimeWarning, stacklevel=3)
        return False
    return True


def batch_indices(n: int, batch_size: int, seed: int, step: int) -> torch.Tensor:
    """The rows of batch ``step`` of a run with ``seed``: one generator per step, so the batch drawn at a step does
    not depend on where a run was resumed (and stacked training draws the same batches as ``train``)."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + step)
    return torch.randint(n, (batch_size,), generator=g)


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

    The model's initial weights are set from ``config.seed`` here, so two calls with equal settings give equal
    models. ``constraints`` run after every optimiser step (and are part of the key). The weights after each of
    ``snapshot_steps`` steps (0 = the initial weights) are kept, stored with the run and returned as ``snapshots``.
    ``extra_key`` must describe anything else that changes the result (a regulariser's weight, say).
    Checkpoints are written every ``config.checkpoint_every`` steps and on interruption; a later call with the
    same settings resumes from the last one. Finished weights are stored as ``<cache_dir>/<key>.pt``. When
    ``$AEBOOK_DEADLINE`` (a run's time budget) passes, training checkpoints and raises ``TimeBudgetExceeded``.
    A loss with ``plan(data, config, device)``, ``at_step(step)`` and ``release()`` (such as
    :class:`aebook.experiments.conservative.DenoisingMSE`) draws its steps' noise ahead instead of at every step.
    On CUDA the step runs as a replayed graph where :func:`use_cuda_graph` allows it.
    """
    if len(data) == 0:
        raise ValueError("data is empty: nothing to train on")
    extra = dict(extra_key or {})
    torch.manual_seed(config.seed)
    for module in model.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
    if hasattr(model, "after_reset"):  # a model's own initial values (a pose starting at the identity, say)
        model.after_reset()
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
        stored = store.load_finished(dev)[0]
        model.load_state_dict(stored["state_dict"])
        model.eval()
        return TrainResult(model, stored["history"], key, True, float(stored["seconds"]), str(dev),
                           stored.get("snapshots", {}))

    graphed = use_cuda_graph(dev, config, callbacks)
    if graphed:
        from aebook.graphstep import capturable_optimizer

        optimizer = capturable_optimizer(config.optimizer, model.parameters(), config.lr, config.weight_decay)
    else:
        optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr, config.weight_decay, dev)
    history: dict[str, list[float]] = {"loss": []}
    snapshots: dict[int, dict[str, torch.Tensor]] = {}

    def snapshot(step: int) -> None:
        if step in wanted:
            snapshots[step] = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    start, seconds = 0, 0.0
    state = store.resume(dev)
    if state is not None:
        model.load_state_dict(state["state_dict"])
        load_optimizer_state(optimizer, state["optimizer"])
        history, start, seconds = state["history"], int(state["step"]), float(state["seconds"])
        snapshots = state.get("snapshots", {})
        set_rng_state(state.get("rng"), dev)
    rng_next = rng_state(dev)  # the random state at the start of the first step not yet finished

    def checkpoint(step: int, elapsed: float) -> None:
        store.checkpoint({"state_dict": model.state_dict(), "optimizer": optimizer.state_dict(), "history": history,
                          "snapshots": snapshots, "step": step, "seconds": elapsed, "rng": rng_next})

    def keep_finished_steps() -> None:
        # Interrupted (Ctrl-C, a kernel interrupt, an error): keep every finished step for the next call.
        nonlocal history
        record.flush()
        done = len(history["loss"])
        history = {k: v[:done] for k, v in history.items()}
        checkpoint(done, seconds + time.perf_counter() - t0)

    model.train()
    t0 = time.perf_counter()
    step = start
    source = data_on_device(data, dev)
    planned = callable(getattr(loss_fn, "plan", None))  # a loss that draws its steps' noise ahead (no host sync)
    record = _History(history)
    bar = tqdm(total=config.steps, initial=start, desc=name, disable=not progress, mininterval=1.0)
    threads = fixed_threads(train_threads()) if dev.type == "cpu" else contextlib.nullcontext()
    stop_at = budget.deadline()
    with threads, store.keep_on_interrupt(keep_finished_steps):
        try:
            if planned:
                loss_fn.plan(data, config, dev)
            stepper = (_graphed_step(model, loss_fn, optimizer, source, config, start, constraints, name)
                       if graphed and source.device == dev and start < config.steps else None)
            for step in range(start, config.steps):
                budget.check(stop_at, name)
                snapshot(step)
                if planned:
                    loss_fn.at_step(step)
                logs: dict[str, Any] = {}
                if stepper is not None:
                    loss = stepper.run(step)["loss"]
                else:
                    idx = batch_indices(len(data), config.batch_size, config.seed, step)
                    batch = source[idx.to(source.device, non_blocking=True)].to(dev, non_blocking=True)
                    loss = loss_fn(model, batch)
                    ctx = StepContext(step, model, batch, loss)
                    total = loss
                    for cb in callbacks:
                        extra_loss = cb(ctx)
                        if extra_loss is not None:
                            total = total + extra_loss
                    optimizer.zero_grad(set_to_none=True)
                    total.backward()
                    optimizer.step()
                    if constraints:
                        with torch.no_grad():
                            for constraint in constraints:
                                constraint(model)
                    logs = ctx.logs
                record.add("loss", loss)
                rng_next = rng_state(dev)
                for k, v in logs.items():
                    record.add(k, v)
                bar.update(1)
                if (step + 1) % HISTORY_FLUSH_STEPS == 0 or step + 1 == config.steps:
                    bar.set_postfix(loss=f"{record.flush()['loss'][-1]:.4g}", refresh=False)
                if step + 1 < config.steps and store.due(step + 1, config.checkpoint_every):
                    record.flush()
                    checkpoint(step + 1, seconds + time.perf_counter() - t0)
        finally:
            if planned:
                loss_fn.release()
            bar.close()
    history = record.flush()
    seconds += time.perf_counter() - t0
    snapshot(config.steps)
    model.eval()
    store.finish([{"state_dict": model.state_dict(), "history": history, "seconds": seconds, "snapshots": snapshots}])
    return TrainResult(model, history, key, False, seconds, str(dev), snapshots,
                       graphed=stepper is not None and stepper.graph is not None)
