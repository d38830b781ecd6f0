"""The model families the book trains, as the checks and benchmarks that run over all of them describe one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn


@dataclass(frozen=True)
class Family:
    """A model family: how to build one, one example's shape, the batch, the loss (None: the reconstruction error),
    the optimiser, and vmap's randomness when members are stacked ("different" for a model that samples)."""

    name: str
    make: Callable[[], nn.Module]
    shape: tuple[int, ...]
    batch: int
    loss: Callable | None = None
    optimizer: str = "adam"
    randomness: str = "error"
