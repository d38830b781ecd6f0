"""Atomic autoencoders (paper 001, Table I and section III): one encoder, one block decoder shared by k blocks.

f_D(z) = Σ_j g(z_j): the decoder is a sum of one block decoder g applied to each latent block z_j ∈ R^{d0}. All k
blocks go through g in one batched call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from aebook.simdops import LeakyReLU, Upsample


def _check_size(size: int) -> int:
    ups = int(round(math.log2(size / 2)))
    if size < 16 or 2 * 2**ups != size:
        raise ValueError(f"image size must be a power of two of at least 16, got {size}")
    return ups


def channels_last(x: torch.Tensor) -> torch.Tensor:
    """``x`` in the channels-last layout, or ``x`` itself under ``torch.func.vmap``, which cannot query a batched
    tensor's layout (stacking atomic models on a GPU raised there: the GPU review's G4)."""
    if torch._C._functorch.is_batchedtensor(x):
        return x
    return x.contiguous(memory_format=torch.channels_last)


def decoder_channels(size: int) -> list[int]:
    """Channels of the block decoder's upsampling convolutions: 8s, then doubling to 32 at the last (section III)."""
    ups = _check_size(size)
    return [8] * max(ups - 2, 0) + [16, 32][-min(ups, 2):]


class ConvEncoder(nn.Module):
    """Four 3×3 stride-2 convolutions (32, 16, 8, 8 channels) with leaky ReLU 0.2, then dense layers to the code."""

    def __init__(self, size: int, latent: int, channels: Sequence[int] = (32, 16, 8, 8), dense: int = 512,
                 slope: float = 0.2) -> None:
        super().__init__()
        _check_size(size)
        self.size, self.latent, self.channels, self.dense, self.slope = size, latent, tuple(channels), dense, slope
        layers: list[nn.Module] = []
        c_in = 1
        for c in channels:
            layers += [nn.Conv2d(c_in, c, 3, stride=2, padding=1), LeakyReLU(slope)]
            c_in = c
        side = size // 2 ** len(channels)
        layers += [nn.Flatten(), nn.Linear(c_in * side * side, dense), LeakyReLU(slope), nn.Linear(dense, latent)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images (n, 1, size, size) to codes (n, latent)."""
        return self.net(x)


class BlockDecoder(nn.Module):
    """g: a code of ``d_in`` numbers → dense 32, 32 → a 2×2×8 tensor → (3×3 conv, ×2 upsampling, leaky ReLU)… → 1 channel."""

    def __init__(self, d_in: int, size: int, dense: Sequence[int] = (32, 32), slope: float = 0.2) -> None:
        super().__init__()
        self.d_in, self.size, self.dense, self.slope = d_in, size, tuple(dense), slope
        mlp: list[nn.Module] = []
        a = d_in
        for b in (*dense, 2 * 2 * 8):
            mlp += [nn.Linear(a, b), LeakyReLU(slope)]
            a = b
        self.mlp = nn.Sequential(*mlp)
        convs: list[nn.Module] = []
        c_in = 8
        for c in decoder_channels(size):
            convs += [nn.Conv2d(c_in, c, 3, padding=1), Upsample(scale_factor=2), LeakyReLU(slope)]
            c_in = c
        convs.append(nn.Conv2d(c_in, 1, 3, padding=1))
        self.convs = nn.Sequential(*convs)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Codes (m, d_in) to images (m, 1, size, size)."""
        return self.convs(self.mlp(z).view(len(z), 8, 2, 2))


class AtomicAutoencoder(nn.Module):
    """Encoder to k blocks of d0 numbers; the output is the sum of the block decoder's image of each block."""

    def __init__(self, size: int = 32, k: int = 3, d0: int = 3) -> None:
        super().__init__()
        self.size, self.k, self.d0 = size, k, d0
        self.encoder = ConvEncoder(size, k * d0)
        self.block = BlockDecoder(d0, size)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images to codes (n, k·d0)."""
        return self.encoder(x)

    def atoms(self, z: torch.Tensor) -> torch.Tensor:
        """Each block's own image g(z_j): (n, k, size, size), all blocks in one batched call of g."""
        n = len(z)
        return self.block(z.reshape(n * self.k, self.d0)).reshape(n, self.k, self.size, self.size)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes to images (n, 1, size, size): the sum of the atoms, computed with the last two full-resolution
        layers run once instead of k times (equal to summing :meth:`atoms` up to rounding; several times faster to
        train at 128×128, ``bench/atomic_sum.py``): nearest upsampling commutes with the leaky ReLU, and the last
        convolution is linear, so Σ_j conv(up(lrelu(c_j))) = conv(up(Σ_j lrelu(c_j))) + (k − 1)·bias."""
        n, g = len(z), self.block
        *stages, last = g.convs
        hidden = nn.Sequential(*stages[:-2])(g.mlp(z.reshape(n * self.k, self.d0)).view(n * self.k, 8, 2, 2))
        act = stages[-1](hidden)  # the leaky ReLU before the last upsampling, at half resolution
        summed = act.reshape(n, self.k, *act.shape[1:]).sum(dim=1)
        out = last(stages[-2](summed))
        return out + (self.k - 1) * last.bias.view(1, -1, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction of images (n, 1, size, size). On a GPU in bfloat16 with channels-last convolutions (about
        1.8× faster at 128×128 on an H100), returned in float32 so that the loss is taken in float32; on the CPU in
        float32 throughout, as the committed outputs were made."""
        if not x.is_cuda:
            return self.decode(self.encode(x))
        with torch.autocast("cuda", dtype=torch.bfloat16, cache_enabled=False):  # no cache: a CUDA graph may hold it
            out = self.decode(self.encode(channels_last(x)))
        return out.float()

    def on_device(self, device: torch.device) -> None:
        """Called by :func:`aebook.train.train` once the model is on ``device``: on a GPU the convolution weights
        go channels-last (the layout bfloat16 convolutions run fastest in); elsewhere nothing changes."""
        if torch.device(device).type == "cuda":
            self.to(memory_format=torch.channels_last)


class PlainAutoencoder(nn.Module):
    """The same encoder and latent size, with one decoder of the block decoder's shape reading the whole code."""

    def __init__(self, size: int = 32, latent: int = 9) -> None:
        super().__init__()
        self.size, self.latent = size, latent
        self.encoder = ConvEncoder(size, latent)
        self.decoder = BlockDecoder(latent, size)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images to codes (n, latent)."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes to images (n, 1, size, size)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction of images (n, 1, size, size)."""
        return self.decode(self.encode(x))
