"""One training step on static buffers, captured once as a CUDA graph and replayed.

The training lifecycle (:mod:`aebook.training.lifecycle`) runs every step of every strategy through a
:class:`StepGraph`. Launched from Python one by one, a step's kernels keep a GPU waiting on the host most of the time
for the small models of this book (``bench/results/2026-12-04-h200/graph.txt`` has the 784-500-784 MLP's step in
the loop and as a replayed graph). A graph needs fixed memory: what a step reads that changes from step
to step (its batch rows, a regulariser's random pairs) is planned ahead, a window of steps at a time, with the
values the loop would draw, and copied into static buffers before each replay; what it reports (its loss, its logs)
is written into buffers the graph owns and kept on the device.

Without CUDA (or when capture fails) the same object runs the same body eagerly on the same buffers, so the code
that builds them is tested on the CPU. Capture needs an optimiser that can run inside a graph (``capturable=True``),
a loss without host syncs, and constraints and noise that are torch operations on the device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from aebook import settings

#: ``plan(start, stop)``: the inputs of steps ``start`` … ``stop − 1``, each a tensor whose first axis runs over
#: those steps, on the step's device.
Plan = Callable[[int, int], Mapping[str, torch.Tensor]]
#: ``body(inputs)``: one step on the static ``inputs`` (one step's row of each planned tensor); returns what it
#: reports (0-d or small tensors, detached).
Body = Callable[[Mapping[str, torch.Tensor]], Mapping[str, torch.Tensor]]
#: Steps planned at a time: a window keeps the plan's memory small (a run of 100,000 steps of 256 rows would hold
#: 200 MB of indices planned at once) and costs one host-to-device copy per window.
PLAN_WINDOW = 1000


class StepGraph:
    """A training step whose changing inputs come from static buffers, run eagerly or replayed as a CUDA graph.

    ``plan`` gives the inputs of a window of steps (see :data:`Plan`); ``body`` is the step itself (forward,
    backward, optimiser step, constraints) on one step's static inputs; ``state`` is every tensor the step changes
    besides the optimiser's state (the weights), put back after capture's warm-up. ``run(step)`` copies that step's
    inputs into the static buffers, runs the step (replays the graph once captured) and returns what it reports, as
    device tensors of its own. ``window`` steps are planned at a time (default :data:`PLAN_WINDOW`).
    """

    def __init__(self, body: Body, plan: Plan, optimizer: torch.optim.Optimizer, state: Sequence[torch.Tensor],
                 start: int, stop: int, device: torch.device | str, window: int | None = None) -> None:
        window = PLAN_WINDOW if window is None else window
        if not 0 <= start < stop:
            raise ValueError(f"need 0 ≤ start < stop (at least one step to run), got {start} and {stop}")
        if window < 1:
            raise ValueError(f"the plan window must be at least one step, got {window}")
        self.body, self.plan, self.optimizer = body, plan, optimizer
        self.state = list(state)
        self.first_step, self.stop, self.window = start, stop, window
        self.device = torch.device(device)
        self._load(start)
        self.static = {name: rows[0].clone() for name, rows in self.planned.items()}
        self.outputs: dict[str, torch.Tensor] = {}
        self.graph: torch.cuda.CUDAGraph | None = None

    @property
    def last_step(self) -> int:
        """The last step this object can run."""
        return self.stop - 1

    def _load(self, step: int) -> None:
        """Plan the window of steps that starts at ``step``."""
        stop = min(step + self.window, self.stop)
        planned = dict(self.plan(step, stop))
        for name, rows in planned.items():
            if len(rows) != stop - step or rows.device != self.device:
                raise ValueError(f"the plan's {name!r} must hold {stop - step} steps on {self.device}, got "
                                 f"{len(rows)} on {rows.device}")
        self.window_start, self.window_stop, self.planned = step, stop, planned

    def _params(self) -> list[torch.Tensor]:
        return [p for group in self.optimizer.param_groups for p in group["params"]]

    def warm_up(self, steps: int = 3) -> Callable[[], None]:
        """Run ``steps`` steps of the body (capture needs a warm-up: cuDNN's choices, the allocator's pools) and put
        back what they changed: the weights, the optimiser's state and the random state are as before, bit for bit.
        A parameter without optimiser state gets it first (a graph cannot allocate it on its first replay), zeroed.
        Returns the function that puts everything back, for :meth:`capture` to call again after recording."""
        params = self._params()
        saved = [t.detach().clone() for t in self.state]  # before priming, which may move a weight (the review's G5)
        cpu_rng = torch.get_rng_state()
        cuda_rng = torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None
        prime_optimizer_state(self.optimizer, [p for p in params if not self.optimizer.state.get(p)])
        opt_state = {k: (v.detach().clone() if torch.is_tensor(v) else v)
                     for k, v in _flat_state(self.optimizer).items()}

        def put_back() -> None:
            with torch.no_grad():
                for t, value in zip(self.state, saved):
                    t.copy_(value)
                _restore_state(self.optimizer, opt_state)
            torch.set_rng_state(cpu_rng)
            if cuda_rng is not None:  # the warm-up's noise must not shift the run's
                torch.cuda.set_rng_state(cuda_rng, self.device)

        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        try:
            if self.device.type == "cuda":
                side = torch.cuda.Stream()
                side.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(side):
                    for _ in range(steps):
                        self.body(self.static)
                torch.cuda.current_stream().wait_stream(side)
            else:
                for _ in range(steps):
                    self.body(self.static)
        finally:
            put_back()
        return put_back

    def capture(self, warmup: int = 3) -> None:
        """Record the step as a CUDA graph after :meth:`warm_up`; the weights, the optimiser's state and the random
        state are put back afterwards, so capture changes nothing."""
        if self.device.type != "cuda":
            raise RuntimeError("a CUDA graph needs the step's tensors on a CUDA device")
        put_back = self.warm_up(warmup)
        try:
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                outputs = dict(self.body(self.static))
        finally:
            torch.cuda.synchronize(self.device)
            put_back()  # capture records kernels without running them; the weights are as before either way
        self.graph, self.outputs = graph, outputs

    def run(self, step: int) -> dict[str, torch.Tensor]:
        """Run (or replay) step ``step`` and return what it reports, as device tensors of its own."""
        if not self.first_step <= step < self.stop:
            raise IndexError(f"step {step} is outside the steps {self.first_step}…{self.last_step}")
        if not self.window_start <= step < self.window_stop:
            self._load(step)
        for name, buffer in self.static.items():
            buffer.copy_(self.planned[name][step - self.window_start])
        if self.graph is None:
            return {name: value.detach() if torch.is_tensor(value) else value
                    for name, value in self.body(self.static).items()}
        self.graph.replay()
        return {name: value.clone() for name, value in self.outputs.items()}


def prime_optimizer_state(optimizer: torch.optim.Optimizer, params: nn.Module | Iterable[torch.Tensor]) -> None:
    """Create the optimiser's state of ``params`` (the optimiser's, or a model's) before capture (a graph cannot
    allocate it on its first replay): one step with zero gradients for them and none for the optimiser's other
    parameters (which it then skips), then the new state tensors zeroed, step counters included. Adam and Adadelta
    move no weight on a zero gradient from a zero state, so the weights are unchanged."""
    fresh = list(params.parameters() if isinstance(params, nn.Module) else params)
    if not fresh:
        return
    others = [p for group in optimizer.param_groups for p in group["params"] if all(p is not f for f in fresh)]
    kept = [p.grad for p in others]
    for p in others:
        p.grad = None
    for p in fresh:
        p.grad = torch.zeros_like(p)
    optimizer.step()
    for p, grad in zip(others, kept):
        p.grad = grad
    with torch.no_grad():
        for p in fresh:
            for value in optimizer.state[p].values():
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


def use_cuda_graph(dev: torch.device, config: Any, callbacks: Sequence[Any] = ()) -> bool:
    """Whether a run with ``config`` replays its steps as a CUDA graph: on CUDA, for Adam and Adadelta, without
    callbacks (their logs are read on the host), unless ``$AEBOOK_CUDA_GRAPH`` is ``0``. The CPU runs the same step
    eagerly: it is the reference the committed outputs were made with."""
    return (dev.type == "cuda" and not callbacks and config.optimizer in ("adam", "adadelta")
            and settings.cuda_graph() != "0")


class CaptureFailed(RuntimeError):
    """A CUDA graph capture failed under ``AEBOOK_CUDA_GRAPH=strict``."""


def capture_or_warn(stepper, name: str = "a run") -> bool:
    """Capture ``stepper`` (a :class:`StepGraph`) as a CUDA graph; whether it was captured.

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
