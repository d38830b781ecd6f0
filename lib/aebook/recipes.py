"""What each training run of this process was asked to do, in terms no CPU can change.

A run's figures move with the float path and the seed, so the notebook check off the reference path compares them
within bands (:mod:`aebook.book.fallback`). What a run was *asked* to do does not move: the model's class and
architecture, its number of parameters, the shape of its data, its steps, batch, learning rate, optimiser and seed,
and the settings a recipe passes with it (a regulariser's weight, say). :func:`train` and :func:`train_stacked`
note each run here, trained or loaded from the cache, and every claims table records the runs noted so far. Two
runs of the same notebook at the same commit give the same recipes on any machine, so the check compares them
exactly: halving a notebook's steps or changing a layer fails it, whatever the figures do.

Values computed from data (a tensor's digest, which the cache key also carries) are left out: they could differ on
another CPU.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import torch
from torch import nn

#: The runs noted in this process, by cache key (a cell run twice notes its run once), in the order first noted.
_NOTED: dict[str, dict[str, Any]] = {}

_DIGEST = re.compile(r"[0-9a-f]{64}")
#: Config fields that say how a run is kept, not what it computes.
_BOOKKEEPING = ("checkpoint_every",)


def _plain(value: Any) -> Any:
    """A setting as it enters a recipe: numbers, strings and their lists and dicts kept; a data digest replaced."""
    if isinstance(value, str) and _DIGEST.fullmatch(value):
        return "<digest of data>"
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return type(value).__name__


def recipe(model: nn.Module, data: torch.Tensor, config: Any, extra: Mapping[str, Any]) -> dict[str, Any]:
    """The machine-independent description of one run: model, architecture digest, parameters, data shape, the
    training settings and the recipe's own settings."""
    shapes = {k: list(v.shape) for k, v in model.state_dict().items()}
    architecture = hashlib.sha256(f"{model!r}|{sorted(shapes.items())}".encode()).hexdigest()[:12]
    settings = {k: v for k, v in asdict(config).items() if k not in _BOOKKEEPING}
    return {
        "model": type(model).__qualname__,
        "architecture": architecture,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "data": list(data.shape),
        "config": settings,
        "settings": _plain(dict(extra)),
    }


def note(key: str, run: Mapping[str, Any]) -> None:
    """Note a run of this process (once per cache key)."""
    _NOTED.setdefault(key, dict(run))


def noted() -> list[dict[str, Any]]:
    """The runs noted in this process so far, in order."""
    return [dict(r) for r in _NOTED.values()]


def _fields(run: Mapping[str, Any], ignore_seed: bool) -> dict[str, Any]:
    flat = {k: v for k, v in run.items() if k not in ("config", "settings")}
    flat.update({f"config.{k}": v for k, v in run.get("config", {}).items() if not (ignore_seed and k == "seed")})
    flat.update({f"settings.{k}": v for k, v in run.get("settings", {}).items()})
    return flat


def differences(committed: Sequence[Mapping[str, Any]], fresh: Sequence[Mapping[str, Any]],
                ignore_seed: bool = False) -> list[str]:
    """How a fresh run's training differs from the committed one's, run by run (empty when it does not).
    ``ignore_seed`` compares a run made at another seed on purpose (a calibration run)."""
    problems = []
    if len(committed) != len(fresh):
        problems.append(f"the committed outputs trained {len(committed)} network(s), the fresh run {len(fresh)}")
    for i, (old, new) in enumerate(zip(committed, fresh)):
        a, b = _fields(old, ignore_seed), _fields(new, ignore_seed)
        changed = [f"{k} {b.get(k, '—')!r} (committed {a.get(k, '—')!r})" for k in sorted(a.keys() | b.keys())
                   if a.get(k) != b.get(k)]
        if changed:
            problems.append(f"training run {i + 1} ({old.get('model')}): " + ", ".join(changed))
    return problems
