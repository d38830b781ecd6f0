"""The environment variables the book reads, each read here and only here, with a clear error for a bad value.

Every ``AEBOOK_*`` variable is in :data:`VARIABLES` (the how-to-run page lists the same, and a test holds the
three together: this table, the page and the names the library mentions). Each is read when asked for, never at
import, so a notebook or a test that sets one sees it.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Every variable: what it sets, and its default.
VARIABLES = {
    "AEBOOK_DATA_DIR": "where datasets are kept (default: data/ in the checkout)",
    "AEBOOK_CACHE_DIR": "where trained weights and checkpoints are cached (default: .aebook-cache/ in the checkout)",
    "AEBOOK_DEVICE": "the device `auto` means (cpu, cuda or cuda:N; set by `python -m aebook run --device`)",
    "AEBOOK_TRAIN_THREADS": "torch threads for training on the CPU (default 2, what the paper runs use)",
    "AEBOOK_ANALYSIS_WORKERS": "threads the long analyses may use (default: every core)",
    "AEBOOK_CUDA_GRAPH": "1 (default): steps on a GPU replayed as a CUDA graph; 0: eager; strict: raise on a failed "
                         "capture",
    "AEBOOK_DEADLINE": "seconds since the epoch at which training checkpoints and stops (set by `--time-budget`)",
    "AEBOOK_PROFILE": "the profile a notebook's claims are recorded under (quick or paper; set by the runner)",
    "AEBOOK_OUTPUT_DIR": "where a notebook writes its claims file (default: the working folder; set by the runner)",
}


def _raw(name: str) -> str:
    if name not in VARIABLES:
        raise KeyError(f"{name} is not one of the book's settings: {', '.join(VARIABLES)}")
    return os.environ.get(name, "").strip()


def _positive_int(name: str, default: int) -> int:
    raw = _raw(name)
    try:
        n = int(raw) if raw else default
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return n


def data_dir(default: Path) -> Path:
    """``$AEBOOK_DATA_DIR``, or ``default``."""
    return Path(_raw("AEBOOK_DATA_DIR") or default)


def cache_dir(default: Path) -> Path:
    """``$AEBOOK_CACHE_DIR``, or ``default``."""
    return Path(_raw("AEBOOK_CACHE_DIR") or default)


def device() -> str:
    """``$AEBOOK_DEVICE`` in lower case, or ``auto``."""
    return _raw("AEBOOK_DEVICE").lower() or "auto"


#: Torch threads for training on the CPU unless ``$AEBOOK_TRAIN_THREADS`` says otherwise: what the committed paper
#: runs were made with (on 2 cores).
DEFAULT_TRAIN_THREADS = 2


def train_threads() -> int:
    """``$AEBOOK_TRAIN_THREADS`` (a positive integer), default :data:`DEFAULT_TRAIN_THREADS`."""
    return _positive_int("AEBOOK_TRAIN_THREADS", DEFAULT_TRAIN_THREADS)


def analysis_workers() -> int:
    """``$AEBOOK_ANALYSIS_WORKERS`` (a positive integer), default the number of cores."""
    return _positive_int("AEBOOK_ANALYSIS_WORKERS", os.cpu_count() or 1)


CUDA_GRAPH_MODES = ("1", "0", "strict")


def cuda_graph() -> str:
    """``$AEBOOK_CUDA_GRAPH``: ``1`` (default, capture and fall back to eager steps on failure), ``0`` (eager) or
    ``strict`` (capture, and raise on failure)."""
    mode = _raw("AEBOOK_CUDA_GRAPH").lower() or "1"
    if mode not in CUDA_GRAPH_MODES:
        raise ValueError(f"AEBOOK_CUDA_GRAPH must be one of {', '.join(CUDA_GRAPH_MODES)}, got {mode!r}")
    return mode


def deadline() -> float | None:
    """``$AEBOOK_DEADLINE`` (seconds since the epoch), or None when the run has no budget."""
    raw = _raw("AEBOOK_DEADLINE")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"AEBOOK_DEADLINE must be seconds since the epoch, got {raw!r}") from None


def profile() -> str:
    """``$AEBOOK_PROFILE``, or ``quick``."""
    return _raw("AEBOOK_PROFILE") or "quick"


def output_dir() -> Path:
    """``$AEBOOK_OUTPUT_DIR``, or the working folder."""
    return Path(_raw("AEBOOK_OUTPUT_DIR") or ".")
