"""Training losses beyond the plain reconstruction error (which stays in :mod:`aebook.train`, whose module name
its runs' cache keys record)."""

from __future__ import annotations

import torch
from torch import nn


class DenoisingMSE:
    """Loss: squared error between r(x + ε) and x, ε ~ N(0, σ²) drawn from a seed that is a function of the batch
    (so that a resumed run draws the same noise as an uninterrupted one).

    Reading that seed back from the device would stop the GPU at every step, so :func:`aebook.train.train` lets the
    loss draw every step's noise ahead, on the host (:meth:`plan`, the same values as drawn step by step), and moves
    the step's noise into one device buffer before the step (:meth:`at_step`): no host sync, and a buffer a CUDA
    graph can read. Called outside a planned run, it draws the noise from the batch as before."""

    #: Plans at most this many noise values (4 bytes each) ahead; a larger run draws its noise step by step.
    MAX_PLANNED = 2**26

    def __init__(self, sigma: float) -> None:
        self.sigma = float(sigma)
        self._noise: torch.Tensor | None = None  # (steps, batch, ...) planned noise
        self._current: torch.Tensor | None = None  # the step's noise, one fixed device buffer

    def __repr__(self) -> str:
        return f"DenoisingMSE(sigma={self.sigma!r})"

    @staticmethod
    def batch_noise(batch: torch.Tensor) -> torch.Tensor:
        """ε/σ for one batch on the host: standard normal, from a seed read off the batch's values."""
        seed = int(torch.round(batch.detach().abs().sum() * 1e4).item()) % (2**31)
        return torch.randn(batch.shape, generator=torch.Generator().manual_seed(seed))

    def plan(self, data: torch.Tensor, config, device: torch.device) -> None:
        """Draw every step's noise of a run on ``data`` with ``config`` ahead (on the host, where the per-step draw
        reads its seed) and keep it on ``device``; skipped when it would exceed :attr:`MAX_PLANNED` values."""
        from aebook.training.optim import batch_indices

        self._noise = self._current = None
        if config.steps * config.batch_size * data[0].numel() > self.MAX_PLANNED:
            return
        host = data.detach().cpu()
        noise = torch.stack([self.batch_noise(host[batch_indices(len(host), config.batch_size, config.seed, s)])
                             for s in range(config.steps)])
        self._noise = noise.to(device, data.dtype)
        self._current = torch.empty_like(self._noise[0])

    def release(self) -> None:
        """Forget the plan: later calls draw their noise from the batch again."""
        self._noise = self._current = None

    def at_step(self, step: int) -> None:
        """Put step ``step``'s planned noise into the buffer the next call reads (nothing when not planned)."""
        if self._noise is not None:
            self._current.copy_(self._noise[step], non_blocking=True)

    def __call__(self, model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
        """The denoising reconstruction error of one batch."""
        if self._current is not None and self._current.shape == batch.shape and self._current.device == batch.device:
            noise = self._current
        else:
            noise = self.batch_noise(batch).to(batch.device, batch.dtype)
        return nn.functional.mse_loss(model(batch + self.sigma * noise), batch)
