"""The small convolutional autoencoder of paper 000 (Table 1): stride-2 subsampling down to a 1×1 code."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from aebook.simdops import leaky_relu


class DiskAutoencoder(nn.Module):
    """Encoder of 3×3 stride-2 convolutions to a ``code_dim`` code; a mirrored decoder with zero-insertion upsampling.

    Every layer is ``leaky_relu(conv(x) + b)`` with slope ``alpha`` (paper 000, Eq. 3), including the code and the
    output. Upsampling by inserting zeros followed by a 3×3 convolution is exactly a stride-2 transposed
    convolution, which is how the decoder computes it.
    """

    def __init__(
        self,
        size: int = 64,
        depths: Sequence[int] = (8, 4, 4, 3, 2),
        code_dim: int = 1,
        kernel: int = 3,
        alpha: float = 0.2,
        bias: bool = True,
        linear_encoder: bool = False,
    ) -> None:
        super().__init__()
        n_layers = int(round(math.log2(size))) if size > 1 else 0
        if size < 2 or 2**n_layers != size:
            raise ValueError(f"size must be a power of two (subsampling by 2 down to 1×1), got {size}")
        if len(depths) != n_layers - 1:
            raise ValueError(
                f"a {size}×{size} input needs {n_layers} layers, so {n_layers - 1} hidden depths; got {list(depths)}"
            )
        if kernel % 2 != 1:
            raise ValueError(f"kernel must be odd, got {kernel}")
        self.size, self.code_dim, self.alpha = size, code_dim, alpha
        self.linear_encoder = linear_encoder
        channels = [1, *depths, code_dim]
        pad = kernel // 2
        self.encoder_convs = nn.ModuleList(
            nn.Conv2d(channels[i], channels[i + 1], kernel, stride=2, padding=pad, bias=bias)
            for i in range(n_layers)
        )
        rev = channels[::-1]
        self.decoder_convs = nn.ModuleList(
            nn.ConvTranspose2d(rev[i], rev[i + 1], kernel, stride=2, padding=pad, output_padding=1, bias=bias)
            for i in range(n_layers)
        )

    def extra_repr(self) -> str:
        """The constructor's flags, so that the repr (and the weight cache key) tells the variants apart."""
        return (
            f"size={self.size}, code_dim={self.code_dim}, alpha={self.alpha}, "
            f"linear_encoder={self.linear_encoder}"
        )

    def _act(self, x: torch.Tensor) -> torch.Tensor:
        return leaky_relu(x, self.alpha)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Map images ``(n, size, size)`` or ``(n, 1, size, size)`` to codes ``(n, code_dim)``."""
        if x.dim() == 3:
            x = x.unsqueeze(1)
        for conv in self.encoder_convs:
            x = conv(x)
            if not self.linear_encoder:
                x = self._act(x)
        return x.flatten(1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Map codes ``(n, code_dim)`` to images ``(n, size, size)``."""
        x = z.reshape(len(z), self.code_dim, 1, 1)
        for conv in self.decoder_convs:
            x = self._act(conv(x))
        return x[:, 0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct images: ``decode(encode(x))``."""
        return self.decode(self.encode(x))
