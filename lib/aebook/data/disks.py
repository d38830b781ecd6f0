"""Centred disks (and squares, ellipses) on an m×m grid (paper 000): radii sets with holes or a maximum, images."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Interval = tuple[float, float]


def allowed_intervals(
    r_max: float, exclude: Sequence[Interval] = (), r_min: float = 0.0
) -> list[Interval]:
    """Return the parts of ``(r_min, r_max]`` left once every ``exclude`` interval is removed."""
    if r_max <= r_min:
        raise ValueError(f"r_max={r_max} must be larger than r_min={r_min}")
    pieces: list[Interval] = [(float(r_min), float(r_max))]
    for bounds in exclude:
        if len(bounds) != 2 or bounds[0] > bounds[1]:
            raise ValueError(f"an excluded interval must be (low, high) with low <= high, got {bounds!r}")
        lo, hi = float(bounds[0]), float(bounds[1])
        kept: list[Interval] = []
        for a, b in pieces:
            if hi <= a or lo >= b:
                kept.append((a, b))
                continue
            if lo > a:
                kept.append((a, lo))
            if hi < b:
                kept.append((hi, b))
        pieces = kept
    if not pieces:
        raise ValueError(f"excluding {list(exclude)} leaves no radius in ({r_min}, {r_max}]")
    return pieces


def sample_radii(
    n: int,
    r_max: float,
    exclude: Sequence[Interval] = (),
    seed: int = 0,
    r_min: float = 0.0,
) -> np.ndarray:
    """Draw ``n`` radii uniformly from ``(r_min, r_max]`` minus the ``exclude`` intervals."""
    pieces = allowed_intervals(r_max, exclude, r_min)
    lengths = np.array([b - a for a, b in pieces])
    rng = np.random.default_rng(seed)
    u = rng.uniform(0.0, lengths.sum(), size=n)
    starts = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    which = np.searchsorted(np.cumsum(lengths), u, side="right").clip(max=len(pieces) - 1)
    lows = np.array([a for a, _ in pieces])
    # u - start lies in [0, length); mirror to (0, length] so the interval is open at its low end.
    return lows[which] + (lengths[which] - (u - starts[which]))


def evenly_spaced_radii(n: int, r_max: float, r_min: float = 1.0) -> np.ndarray:
    """Return ``n`` evenly spaced test radii from ``r_min`` to ``r_max``."""
    return np.linspace(r_min, r_max, n)


def in_intervals(radii: np.ndarray, intervals: Sequence[Interval]) -> np.ndarray:
    """Return a boolean mask: which radii fall inside any of the closed ``intervals``."""
    radii = np.asarray(radii, dtype=float)
    mask = np.zeros(radii.shape, dtype=bool)
    for lo, hi in intervals:
        mask |= (radii >= lo) & (radii <= hi)
    return mask


def _inside(kind: str, x: np.ndarray, y: np.ndarray, r: np.ndarray, aspect: float) -> np.ndarray:
    if kind == "disk":
        return x**2 + y**2 <= r**2
    if kind == "square":
        return np.maximum(np.abs(x), np.abs(y)) <= r
    if kind == "ellipse":
        return (x / r) ** 2 + (y / (aspect * r)) ** 2 <= 1.0
    raise ValueError(f"unknown shape {kind!r}: use one of {', '.join(SHAPES)}")


SHAPES = ("disk", "square", "ellipse")


def shape_images(
    kind: str, radii: Sequence[float], size: int = 64, antialias: int = 1, aspect: float = 0.6
) -> np.ndarray:
    """Render centred shapes, one per size parameter r, as float32 images ``(n, size, size)``.

    ``disk``: radius r; ``square``: axis-aligned, half-side r; ``ellipse``: semi-axes r (horizontal) and aspect·r.
    The centre is the middle of the grid, ``((size-1)/2, (size-1)/2)``. With ``antialias=1`` the images are
    binary, as in the paper; ``antialias=k>1`` averages a k×k sub-pixel grid (grey edges).
    """
    if kind not in SHAPES:
        raise ValueError(f"unknown shape {kind!r}: use one of {', '.join(SHAPES)}")
    if size < 2:
        raise ValueError(f"size must be at least 2, got {size}")
    if antialias < 1:
        raise ValueError(f"antialias must be a positive integer, got {antialias}")
    r = np.maximum(np.asarray(radii, dtype=np.float64).reshape(-1, 1, 1), 1e-9)
    offsets = (np.arange(antialias) + 0.5) / antialias - 0.5
    coords = ((np.arange(size)[:, None] + offsets[None, :]) - (size - 1) / 2.0).reshape(-1)
    inside = _inside(kind, coords[None, None, :], coords[None, :, None], r, aspect).astype(np.float32)
    if antialias > 1:
        inside = inside.reshape(len(r), size, antialias, size, antialias).mean(axis=(2, 4))
    return inside.astype(np.float32)


def disk_images(radii: Sequence[float], size: int = 64, antialias: int = 1) -> np.ndarray:
    """Render centred disks, one per radius (binary unless ``antialias > 1``): ``shape_images('disk', ...)``."""
    return shape_images("disk", radii, size, antialias)


def shape_area_factor(kind: str, aspect: float = 0.6) -> float:
    """The area of a shape of size parameter r, divided by r²."""
    return {"disk": np.pi, "square": 4.0, "ellipse": np.pi * aspect}[kind]


def fitted_radius(images: np.ndarray, kind: str = "disk", aspect: float = 0.6) -> np.ndarray:
    """Estimate each image's size parameter from its mass: ``sqrt(sum(clip(y, 0, 1)) / (area of r = 1))``."""
    y = np.clip(np.asarray(images, dtype=np.float64), 0.0, 1.0)
    return np.sqrt(y.reshape(len(y), -1).sum(axis=1) / shape_area_factor(kind, aspect))
