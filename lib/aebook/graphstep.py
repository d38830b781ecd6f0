"""One training step on static buffers, captured once as a CUDA graph and replayed.

The book's loop (:func:`aebook.train.train`) launches every kernel of a step from Python: for the small models of
this book the GPU waits on the host most of the time (a step of the 784-500-784 MLP took 1.38 ms in the loop and
0.20 ms as a replayed graph on an H200, ``bench/results/2026-12-04-h200/graph.txt``). A graph needs fixed memory: the
batch rows of every step are drawn ahead (the same values as :func:`aebook.train.batch_indices`) and copied into
one static index buffer before each replay; the loss is written into a static buffer and kept on the device.

Without CUDA (or with ``capture=False``) the same object runs the same body eagerly on the same buffers, so the code
that builds them is tested on the CPU. Capture needs an optimiser that can run inside a graph (``capturable=True``),
a loss without host syncs, and callbacks, constraints and noise that are torch operations on the device.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn


def planned_rows(n: int, batch_size: int, seed: int, start: int, stop: int,
                 device: torch.device | str = "cpu") -> torch.Tensor:
    """The batch rows of steps ``start`` … ``stop − 1`` of a run with ``seed``, as one (steps, batch) tensor on
    ``device``: row ``s − start`` equals ``batch_indices(n, batch_size, seed, s)``."""
    from aebook.train import batch_indices

    if not 0 <= start <= stop:
        raise ValueError(f"need 0 ≤ start ≤ stop, got {start} and {stop}")
    if stop == start:
        return torch.empty((0, batch_size), dtype=torch.long, device=device)
    return torch.stack([batch_indices(n, batch_size, seed, s) for s in range(start, stop)]).to(device)


def capturable_optimizer(name: str, params, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """The optimiser ``name`` built to run inside a CUDA graph (its step counters on the device)."""
    from aebook.train import OPTIMIZERS

    if name not in ("adam", "adadelta"):
        raise ValueError(f"no capturable form of the optimiser {name!r} here: use 'adam' or 'adadelta'")
    return OPTIMIZERS[name](params, lr=lr, weight_decay=weight_decay, capturable=True)


class GraphedStep:
    """Forward, backward, optimiser step and constraints of one training step, reading its batch from ``source``
    at the rows of a static index buffer and writing its loss into a static loss buffer.

    ``rows`` holds the planned rows of steps ``first_step`` onwards (see :func:`planned_rows`). ``run(step)`` copies
    that step's rows into the buffer, runs the step (replays the graph when one was captured) and returns a copy of
    its loss, still on the device.
    """

    def __init__(self, model: nn.Module, loss_fn: Callable[[nn.Module, torch.Tensor], torch.Tensor],
                 optimizer: torch.optim.Optimizer, source: torch.Tensor, rows: torch.Tensor, first_step: int,
                 constraints: Sequence[Callable[[nn.Module], None]] = ()) -> None:
        if rows.ndim != 2 or len(rows) == 0:
            raise ValueError(f"rows must be a non-empty (steps, batch) tensor, got shape {tuple(rows.shape)}")
        if rows.device != source.device:
            raise ValueError(f"rows ({rows.device}) and source ({source.device}) must be on one device")
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.source, self.rows, self.first_step = source, rows, first_step
        self.constraints = tuple(constraints)
        self.static_rows = rows[0].clone()
        self.static_loss = torch.zeros((), device=source.device)
        self.graph: torch.cuda.CUDAGraph | None = None

    @property
    def last_step(self) -> int:
        """The last step whose rows are planned."""
        return self.first_step + len(self.rows) - 1

    def _body(self) -> None:
        """The step itself, on the static buffers."""
        loss = self.loss_fn(self.model, self.source[self.static_rows])
        self.optimizer.zero_grad(set_to_none=False)
        loss.backward()
        self.optimizer.step()
        if self.constraints:
            with torch.no_grad():
                for constraint in self.constraints:
                    constraint(self.model)
        self.static_loss.copy_(loss.detach())

    def capture(self, warmup: int = 3) -> None:
        """Record the step as a CUDA graph. The warm-up steps (which capture requires) run on a scratch copy of the
        optimiser's state and the model's weights are put back afterwards, so capture changes nothing."""
        if self.source.device.type != "cuda":
            raise RuntimeError("a CUDA graph needs the model and the data on a CUDA device")
        if not self.optimizer.state:
            prime_optimizer_state(self.optimizer, self.model)
        rng = torch.cuda.get_rng_state(self.source.device)  # the warm-up's noise must not shift the run's
        weights = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        opt_state = {k: (v.detach().clone() if torch.is_tensor(v) else v)
                     for k, v in _flat_state(self.optimizer).items()}

        def put_back() -> None:
            with torch.no_grad():
                self.model.load_state_dict(weights)
                _restore_state(self.optimizer, opt_state)
            torch.cuda.set_rng_state(rng, self.source.device)

        for p in self.model.parameters():
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        try:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(warmup):
                    self._body()
            torch.cuda.current_stream().wait_stream(side)
            put_back()
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self._body()
        finally:
            torch.cuda.synchronize(self.source.device)
            put_back()  # capture records kernels without running them; the weights are as before either way
        self.graph = graph

    def run(self, step: int) -> torch.Tensor:
        """Run (or replay) step ``step`` and return its loss as a device tensor of its own."""
        if not self.first_step <= step <= self.last_step:
            raise IndexError(f"step {step} is outside the planned steps {self.first_step}…{self.last_step}")
        self.static_rows.copy_(self.rows[step - self.first_step])
        if self.graph is None:
            self._body()
        else:
            self.graph.replay()
        return self.static_loss.clone()


def prime_optimizer_state(optimizer: torch.optim.Optimizer, model: nn.Module) -> None:
    """Create the optimiser's state before capture (a graph cannot allocate it on its first replay): one step with
    zero gradients, then every state tensor zeroed, step counters included. Adam and Adadelta move no weight on a
    zero gradient from a zero state, so the model is unchanged."""
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    with torch.no_grad():
        for state in optimizer.state.values():
            for value in state.values():
                if torch.is_tensor(value):
                    value.zero_()


def _flat_state(optimizer: torch.optim.Optimizer) -> dict[tuple[int, str], object]:
    """The optimiser's per-parameter state as {(parameter index, name): value}."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    return {(i, k): v for i, p in enumerate(params) for k, v in optimizer.state.get(p, {}).items()}


def _restore_state(optimizer: torch.optim.Optimizer, saved: dict[tuple[int, str], object]) -> None:
    """Copy saved state values back into the optimiser's own tensors (in place: a graph keeps their addresses)."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for (i, k), v in saved.items():
        current = optimizer.state[params[i]][k]
        if torch.is_tensor(current):
            current.copy_(v)
        else:
            optimizer.state[params[i]][k] = v
