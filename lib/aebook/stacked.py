"""Many small models as one: runs of one architecture that differ only in seed, a loss weight or their data,
trained together in one vectorised step (``torch.func``: stacked parameters, ``functional_call``, ``vmap``).

Each member starts from the weights ``train()`` would give it (its config's seed), draws the batches ``train()``
would draw, and is updated by the same Adam arithmetic, so a member ends where the same model trained alone ends,
up to the float reassociation of batched matrix products (the tests hold it to 1e-5). On a GPU the members share
every kernel launch, which is where the time goes for models this small, and the whole step is replayed as one CUDA
graph (:mod:`aebook.training.graph`): the rows and step arguments are planned ahead with the same values, on every device,
so the CPU runs the very step a graph holds, eagerly.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import inspect
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from aebook import recipes
from aebook.device import resolve_device
from aebook.paths import cache_dir as default_cache_dir
from aebook.train import TrainConfig, TrainResult, loaded, reconstruction_mse
from aebook.training.graph import use_cuda_graph
from aebook.training.keys import describe, settings_key
from aebook.training.lifecycle import initial_weights, run
from aebook.training.optim import planned_rows
from aebook.training.store import RunStore

#: ``loss(model, batch, **member_args, **step_args)``: the loss of one member on its batch; ``member_args`` are its
#: own floats (a regulariser's weight, say), passed as 0-d tensors, ``step_args`` what ``step_args(step)`` gives it
#: for this step (a random pairing, say). It returns the objective, or ``(objective, logs)`` where ``logs`` maps
#: names to 0-d tensors kept in the history (``logs["loss"]``, when given, is recorded as the loss in place of the
#: objective: the reconstruction error without its regularisers, as ``train()`` records it).
StackedLoss = Callable[..., torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]]
#: ``step_args(step)``: per-step inputs of every member, each a tensor whose first axis runs over the members.
StepArgs = Callable[[int], Mapping[str, torch.Tensor]]
#: ``constraint(params, member_args)``: changes the stacked parameters in place after every optimiser step (a
#: projection such as a norm clip); ``params`` are named as in one member's ``state_dict``, with the members on the
#: first axis, and ``member_args`` holds every member's arguments (one value per member).
StackedConstraint = Callable[[Mapping[str, torch.Tensor], Mapping[str, torch.Tensor]], None]


class _LossOf(nn.Module):
    """Wraps a model so that ``functional_call`` reaches every method the loss calls (encode, decode, ...)."""

    def __init__(self, model: nn.Module, loss: StackedLoss) -> None:
        super().__init__()
        self.model, self.loss = model, loss
        takes = inspect.signature(loss).parameters.values()
        # the arguments the loss names (a member argument meant for a constraint only is not passed to it)
        self.names = None if any(p.kind is p.VAR_KEYWORD for p in takes) else {p.name for p in takes}

    def forward(self, batch: torch.Tensor, args: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict]:
        if self.names is not None:
            args = {name: value for name, value in args.items() if name in self.names}
        out = self.loss(self.model, batch, **args)
        objective, logs = out if isinstance(out, tuple) else (out, {})
        logs = {name: value.detach() for name, value in logs.items()}
        logs.setdefault("loss", objective.detach())
        return objective, logs


def _check(configs: Sequence[TrainConfig], datas: Sequence[torch.Tensor], args: Sequence[Mapping[str, float]]) -> None:
    if not configs:
        raise ValueError("train_stacked needs at least one member")
    shared = {(c.steps, c.batch_size, c.lr, c.optimizer, c.weight_decay) for c in configs}
    if len(shared) > 1:
        raise ValueError("stacked members may differ only in seed, data and loss arguments: steps, batch size, lr, "
                         f"optimizer and weight decay must be equal, got {sorted(shared)}")
    if len(datas) != len(configs) or len(args) != len(configs):
        raise ValueError(f"{len(configs)} configs need as many data tensors and argument sets, "
                         f"got {len(datas)} and {len(args)}")
    if len({(tuple(d.shape), d.dtype) for d in datas}) > 1:
        raise ValueError("every member's data must have the same shape and dtype")
    if any(len(d) == 0 for d in datas):
        raise ValueError("a member's data is empty: nothing to train on")
    if len({tuple(sorted(a)) for a in args}) > 1:
        raise ValueError("every member must get the same loss argument names")


def train_stacked(
    make_model: Callable[[], nn.Module],
    data: torch.Tensor | Sequence[torch.Tensor],
    configs: Sequence[TrainConfig],
    *,
    loss: StackedLoss = reconstruction_mse,
    member_args: Sequence[Mapping[str, float]] | None = None,
    step_args: StepArgs | None = None,
    constraint: StackedConstraint | None = None,
    snapshot_steps: Sequence[int] = (),
    extra_key: Mapping[str, Any] | None = None,
    device: str = "auto",
    cache: bool = True,
    cache_dir: str | Path | None = None,
    randomness: str = "error",
) -> list[TrainResult]:
    """Train one member per config (and per data tensor and argument set, when given) in one vectorised loop.

    ``data`` is one tensor shared by every member or one per member (equal tensors are held once). ``step_args``
    gives per-step inputs (see ``StepArgs``); it must be a function of the step alone, and a module-level function
    or one whose settings are in ``extra_key`` (its name and source enter the key). ``constraint`` runs after every
    optimiser step (see ``StackedConstraint``; a bound method's object enters the key by its ``repr``), and the
    weights after each of ``snapshot_steps`` steps are kept as each member's ``snapshots``, as in ``train()``.
    Finished members are cached one by one under keys of their own (distinct from ``train()``'s: the arithmetic
    differs in the last bits); a run is checkpointed every ``CHECKPOINT_SECONDS`` and on interruption, resumes from
    it, and stops at ``$AEBOOK_DEADLINE`` like ``train()``. On CUDA the step is captured as a CUDA graph where
    :func:`aebook.train.use_cuda_graph` allows it (a capture that fails warns and runs eagerly). ``randomness`` is
    vmap's: "error" for deterministic models, "different" for a model that samples (each member then draws its own
    noise, so it matches a lone run in distribution only).
    """
    datas = list(data) if isinstance(data, (list, tuple)) else [data] * len(configs)
    args = [dict(a) for a in member_args] if member_args is not None else [{} for _ in configs]
    _check(configs, datas, args)
    extra = dict(extra_key or {})
    dev = resolve_device(device)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes, as in train(): cuDNN picks its fastest convolution once
    models = [initial_weights(make_model(), c.seed) for c in configs]
    wanted = sorted(set(int(s) for s in snapshot_steps))
    if wanted and (wanted[0] < 0 or wanted[-1] > configs[0].steps):
        raise ValueError(f"snapshot steps must lie in [0, {configs[0].steps}], got {wanted}")
    spec = {**extra, "stacked_loss": describe(loss), "stacked": True}
    for name, fn in (("step_args", step_args), ("constraint", constraint)):
        if fn is not None:  # only when present, so that keys of runs without them stay what they were
            spec[name] = describe(fn)
    keys = [settings_key(m, d, c, {**spec, "member_args": a}, reconstruction_mse, snapshot_steps=wanted)
            for m, d, c, a in zip(models, datas, configs, args)]
    for m, d, c, a, k in zip(models, datas, configs, args, keys):
        recipes.note(k, recipes.recipe(m, d, c, {**extra, "member_args": a}))
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    group = hashlib.sha256(json.dumps(keys).encode()).hexdigest()[:16]
    store = RunStore(folder, keys, f"stacked-{group}.ckpt", enabled=cache)
    if store.finished():
        return [loaded(m, stored, k, dev) for m, stored, k in zip(models, store.load_finished(dev), keys)]
    strategy = StackedModels(models, datas, configs, args, dev, loss, step_args, constraint, randomness)
    graphed = use_cuda_graph(dev, configs[0], ())
    finished = run(strategy, store, configs[0], dev, graphed=graphed, snapshot_steps=wanted, name="stacked training")
    return [TrainResult(m, r["history"], k, False, r["seconds"], str(dev), r["snapshots"], graphed=finished.graphed)
            for m, r, k in zip(models, finished.records, keys)]


class StackedModels:
    """Many members' step for :func:`aebook.training.lifecycle.run`: their parameters stacked, each member's loss on
    its own planned batch under ``vmap``, one optimiser step for all, then the constraint."""

    def __init__(self, models: Sequence[nn.Module], datas: Sequence[torch.Tensor], configs: Sequence[TrainConfig],
                 args: Sequence[Mapping[str, float]], dev: torch.device, loss: StackedLoss = reconstruction_mse,
                 step_args: StepArgs | None = None, constraint: StackedConstraint | None = None,
                 randomness: str = "error") -> None:
        self.models, self.configs, self.dev = list(models), list(configs), dev
        self.step_args, self.constraint = step_args, constraint
        self.plan_device = dev
        self.loss_shape = (len(self.models),)
        self.wrapped = _LossOf(copy.deepcopy(self.models[0]), loss).to("meta")  # the architecture: weights stacked
        self.params, self.buffers = stack_module_state([_LossOf(m, loss).to(dev) for m in self.models])
        distinct, which = _distinct(datas)
        self.stacked_data, self.which = torch.stack(distinct).to(dev), which.to(dev)
        self.n = len(datas[0])
        self.arg_tensors = {name: torch.tensor([a[name] for a in args], dtype=torch.float32, device=dev)
                            for name in args[0]}
        self.member_params = _member_names(self.params)
        self.persistent = set(self.models[0].state_dict())  # a buffer not saved (a fixed TPS basis) is not kept

        def member_loss(p: dict, b: dict, batch: torch.Tensor, a: dict) -> tuple[torch.Tensor, dict]:
            return functional_call(self.wrapped, (p, b), (batch, a))

        self.losses_of = vmap(member_loss, in_dims=(0, 0, 0, 0), randomness=randomness)

    def parameters(self) -> list[torch.Tensor]:
        """The stacked parameters."""
        return list(self.params.values())

    def state(self) -> list[torch.Tensor]:
        """The stacked parameters and buffers."""
        return [*self.params.values(), *self.buffers.values()]

    def plan(self, first: int, stop: int) -> dict[str, torch.Tensor]:
        """Every member's batch rows (and the step arguments) of steps ``first`` … ``stop − 1``: the values the
        members would draw trained alone."""
        batch_size = self.configs[0].batch_size
        planned = {"rows": torch.stack([planned_rows(self.n, batch_size, c.seed, first, stop, self.dev)
                                        for c in self.configs], dim=1)}
        if self.step_args is not None:
            drawn = [self.step_args(s) for s in range(first, stop)]
            planned.update({name: torch.stack([d[name] for d in drawn]).to(self.dev) for name in drawn[0]})
        return planned

    def before_step(self, step: int) -> None:
        """Nothing: a member's step reads only its planned inputs."""

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Nothing to hold."""
        yield

    def step(self, inputs: Mapping[str, torch.Tensor], optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
        """One step of every member on its planned rows; returns the logs (one value per member)."""
        batches = self.stacked_data[self.which[:, None], inputs["rows"]]
        step_inputs = {**self.arg_tensors, **{k: v for k, v in inputs.items() if k != "rows"}}
        objectives, logs = self.losses_of(self.params, self.buffers, batches, step_inputs)
        optimizer.zero_grad(set_to_none=False)
        objectives.sum().backward()  # member i's loss reaches only member i's parameters
        optimizer.step()
        if self.constraint is not None:
            with torch.no_grad():
                self.constraint(self.member_params, self.arg_tensors)
        return logs

    def _member_state(self) -> dict[str, torch.Tensor]:
        """The stacked weights and saved buffers under one member's state_dict names."""
        return {name: value for name, value in _member_names({**self.params, **self.buffers}).items()
                if name in self.persistent}

    def weights(self) -> dict[str, Any]:
        """The checkpoint's ``params`` (stacked)."""
        return {"params": {k: v.detach() for k, v in self.params.items()}}

    def load_weights(self, state: Mapping[str, Any]) -> None:
        """The stacked weights back from a checkpoint."""
        with torch.no_grad():
            for name, value in state["params"].items():
                self.params[name].copy_(value)

    def snapshot(self) -> dict[str, torch.Tensor]:
        """The stacked state now, on the CPU."""
        return {name: value.detach().cpu().clone() for name, value in self._member_state().items()}

    def records(self, history: dict[str, list[Any]], seconds: float,
                snapshots: dict[int, dict[str, torch.Tensor]]) -> list[dict[str, Any]]:
        """Each member's weights taken back into its model (in evaluation mode) and its finished record."""
        out = []
        state = self._member_state()
        for i, model in enumerate(self.models):
            model.load_state_dict({name: value[i].detach().clone() for name, value in state.items()})
            model.to(self.dev).eval()
            own_history = {name: [row[i] for row in rows] for name, rows in history.items() if rows} or {"loss": []}
            own = {step: {name: value[i].clone() for name, value in stacked.items()}
                   for step, stacked in snapshots.items()}
            out.append({"state_dict": model.state_dict(), "history": own_history,
                        "seconds": seconds / len(self.models), "snapshots": own})
        return out


def _member_names(stacked: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Stacked tensors under the member model's own names (``_LossOf`` holds the model as ``model``)."""
    return {name.removeprefix("model."): value for name, value in stacked.items()}


def _distinct(datas: Sequence[torch.Tensor]) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The distinct data tensors (by identity, then by value) and, per member, the index of its own."""
    distinct: list[torch.Tensor] = []
    which = []
    for d in datas:
        for i, seen in enumerate(distinct):
            if d is seen or torch.equal(d, seen):
                which.append(i)
                break
        else:
            which.append(len(distinct))
            distinct.append(d)
    return distinct, torch.tensor(which)


def config_for(seed: int, base: TrainConfig) -> TrainConfig:
    """``base`` with another seed (members of a stacked run differ in seed, data or loss arguments only)."""
    return TrainConfig(**{**asdict(base), "seed": seed})
