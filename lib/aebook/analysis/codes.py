"""Reading an autoencoder's code: encode and decode numpy arrays, interpolate between codes."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from aebook.device import model_device


@torch.no_grad()
def encode(model: nn.Module, images: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Codes ``(n, d)`` of numpy images through ``model.encode``, in batches, without gradients."""
    dev, out = model_device(model), []
    for i in range(0, len(images), batch_size):
        x = torch.as_tensor(np.asarray(images[i : i + batch_size]), dtype=torch.float32, device=dev)
        out.append(model.encode(x).cpu().numpy())
    return np.concatenate(out)


@torch.no_grad()
def decode(model: nn.Module, codes: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Images decoded from numpy codes ``(n, d)`` through ``model.decode``."""
    dev, out = model_device(model), []
    codes = np.asarray(codes, dtype=np.float32).reshape(len(codes), -1)
    for i in range(0, len(codes), batch_size):
        out.append(model.decode(torch.as_tensor(codes[i : i + batch_size], device=dev)).cpu().numpy())
    return np.concatenate(out)


def interpolate(z0: np.ndarray, z1: np.ndarray, n: int) -> np.ndarray:
    """``n`` codes evenly spaced on the segment from ``z0`` to ``z1`` (both ends included)."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) * np.asarray(z0, dtype=float).reshape(1, -1) + t * np.asarray(z1, dtype=float).reshape(1, -1)
