"""Out-of-distribution image sets of independent pixels (paper 002, §II-A), generated from a seed, never stored."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

Sampler = Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]


def _truncated_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    # mean 0.5, σ = 1, truncated to [0, 1]
    return stats.truncnorm(a=-0.5, b=0.5, loc=0.5, scale=1.0).rvs(size=shape, random_state=rng)


def _bernoulli(p: float) -> Sampler:
    return lambda rng, shape: (rng.random(shape) < p).astype(np.float64)


def _beta(a: float, b: float) -> Sampler:
    return lambda rng, shape: rng.beta(a, b, size=shape)


#: The ten sets of paper 002, by name.
NOISE_SETS: dict[str, Sampler] = {
    "truncated normal": _truncated_normal,
    "uniform": lambda rng, shape: rng.random(shape),
    "bernoulli 0.13": _bernoulli(0.13),
    "bernoulli 0.25": _bernoulli(0.25),
    "bernoulli 0.5": _bernoulli(0.5),
    "bernoulli 0.75": _bernoulli(0.75),
    "bernoulli 0.87": _bernoulli(0.87),
    "beta 0.8 5": _beta(0.8, 5.0),
    "beta 0.5 0.5": _beta(0.5, 0.5),
    "beta 5 0.8": _beta(5.0, 0.8),
}


def noise_images(name: str, n: int, seed: int = 0, dim: int = 784) -> np.ndarray:
    """``n`` images of ``dim`` independent pixels from the named set, as float32 in [0, 1]; same seed, same images."""
    if name not in NOISE_SETS:
        raise ValueError(f"unknown noise set {name!r}: use one of {', '.join(NOISE_SETS)}")
    if n < 0 or dim < 1:
        raise ValueError("n must be non-negative and dim positive")
    # one stream per set, so adding a set never changes another set's images
    rng = np.random.default_rng([seed, list(NOISE_SETS).index(name)])
    return NOISE_SETS[name](rng, (n, dim)).astype(np.float32)
