"""Where a training run keeps its files, and the one way they are read and written: the finished weights of each
member, one checkpoint to resume from, a checkpoint every ``CHECKPOINT_SECONDS`` and one on interruption.

The run's lifecycle (:mod:`aebook.training.lifecycle`) and the trainers' cache lookups read and write through this
class only.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

#: Seconds of training between two checkpoints (an interruption always writes one): a step count would mean a
#: checkpoint every 0.2 s on a GPU and one every few minutes for a slow model on a CPU.
CHECKPOINT_SECONDS = 30.0


def save_atomic(obj: Any, path: Path) -> None:
    """``torch.save`` to a temporary file beside ``path``, then rename: a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def rng_state(device: torch.device) -> dict[str, torch.Tensor]:
    """The random state a training step draws from (the CPU generator, and the device's on a GPU): a checkpoint keeps
    it, so that a resumed run draws the same noise (a VAE's samples, say) as one that was never interrupted."""
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: Mapping[str, torch.Tensor] | None, device: torch.device) -> None:
    """Restore what :func:`rng_state` kept (nothing for a checkpoint written before it was kept)."""
    if not state:
        return
    torch.set_rng_state(state["cpu"].cpu())
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"].cpu(), device)


class RunStore:
    """The files of one run, or of one stacked group of runs: ``<key>.pt`` per member once finished, and one
    checkpoint while training. With ``enabled=False`` (no cache) nothing is read or written."""

    def __init__(self, folder: str | Path, keys: Sequence[str], checkpoint_name: str, enabled: bool = True) -> None:
        if not keys:
            raise ValueError("a run store needs at least one key")
        self.folder = Path(folder)
        self.keys = list(keys)
        self.finals = [self.folder / f"{k}.pt" for k in self.keys]
        self.checkpoint_path = self.folder / checkpoint_name
        self.enabled = enabled
        self._last = time.perf_counter()

    def finished(self) -> bool:
        """Whether every member's finished weights are stored (and may be used)."""
        return self.enabled and all(p.exists() for p in self.finals)

    def load_finished(self, device: torch.device) -> list[dict[str, Any]]:
        """Every member's stored record (``state_dict``, ``history``, ``seconds``, ``snapshots``); the weights on
        ``device``, the snapshots on the CPU, where a fresh run keeps them."""
        return [_snapshots_on_cpu(torch.load(p, map_location=device, weights_only=True)) for p in self.finals]

    def resume(self, device: torch.device) -> dict[str, Any] | None:
        """The checkpoint of an interrupted run, or None when there is none (or the store is disabled); its
        snapshots on the CPU."""
        if not (self.enabled and self.checkpoint_path.exists()):
            return None
        return _snapshots_on_cpu(torch.load(self.checkpoint_path, map_location=device, weights_only=True))

    def checkpoint(self, state: Mapping[str, Any]) -> None:
        """Write the checkpoint (atomically); nothing when disabled."""
        if self.enabled:
            self.folder.mkdir(parents=True, exist_ok=True)
            save_atomic(dict(state), self.checkpoint_path)
        self._last = time.perf_counter()

    def due(self, steps_done: int, every: int) -> bool:
        """Whether a checkpoint is due after ``steps_done`` steps: at a multiple of ``every`` steps, and at least
        ``CHECKPOINT_SECONDS`` after the last one."""
        return steps_done % every == 0 and time.perf_counter() - self._last >= CHECKPOINT_SECONDS

    def finish(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Store each member's finished record and drop the checkpoint; nothing is stored when disabled."""
        if len(records) != len(self.finals):
            raise ValueError(f"{len(records)} records for {len(self.finals)} members")
        if self.enabled:
            self.folder.mkdir(parents=True, exist_ok=True)
            for record, path in zip(records, self.finals):
                save_atomic(dict(record), path)
        self.checkpoint_path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def keep_on_interrupt(self, save: Callable[[], None]) -> Iterator[None]:
        """Run the loop; on any interruption (Ctrl-C, a kernel interrupt, an error, the time budget) call ``save``,
        which checkpoints every finished step, then let the interruption through."""
        try:
            yield
        except BaseException:
            save()
            raise


def _snapshots_on_cpu(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with its ``snapshots`` (step → state) moved to the CPU: whether a run was trained or loaded, its
    snapshots live in one place (the GPU review's G11)."""
    if record.get("snapshots"):
        record["snapshots"] = {step: {name: value.cpu() for name, value in state.items()}
                               for step, state in record["snapshots"].items()}
    return record
