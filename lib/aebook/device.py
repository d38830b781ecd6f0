"""Choosing the torch device: ``auto`` picks CUDA when present, the CPU otherwise."""

from __future__ import annotations

import torch

from aebook import settings

VALID_DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn ``auto``/``cpu``/``cuda``/``cuda:N`` into a torch device, with a clear error for anything else.

    ``auto`` honours ``$AEBOOK_DEVICE`` (set by ``python -m aebook run --device``) before looking for CUDA.
    """
    if isinstance(device, torch.device):
        device = str(device)
    name = str(device).strip().lower()
    if name == "auto":
        name = settings.device()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    base, _, index = name.partition(":")
    if base not in ("cpu", "cuda") or (index and not index.isdigit()):
        raise ValueError(
            f"unknown device {device!r}: use one of {', '.join(VALID_DEVICES)} (or cuda:N)"
        )
    if base == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device {device!r} was asked for but CUDA is not available on this machine; "
                "use device='auto' or 'cpu'"
            )
        if index and int(index) >= torch.cuda.device_count():
            raise ValueError(
                f"device {device!r} does not exist: this machine has {torch.cuda.device_count()} GPU(s)"
            )
    return torch.device(name)


def model_device(model: torch.nn.Module) -> torch.device:
    """The device a model's parameters live on."""
    return next(model.parameters()).device


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``'s first "model name"; the platform's processor string elsewhere)."""
    import platform
    from pathlib import Path

    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
