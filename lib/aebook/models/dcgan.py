"""A DCGAN-style autoencoder, the family of the iGAN network used in paper 000's Appendix C.

The encoder is DCGAN's discriminator body (4×4 stride-2 convolutions, batch norm, leaky ReLU 0.2) ending in a
``code_dim`` code; the decoder is DCGAN's generator (4×4 stride-2 transposed convolutions, batch norm, ReLU).
Images are in [0, 1], so the output goes through a sigmoid rather than DCGAN's tanh.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from aebook.simdops import LeakyReLU


class DCGANAutoencoder(nn.Module):
    """Strided-convolution encoder and transposed-convolution generator with batch norm, as in DCGAN."""

    def __init__(self, size: int = 64, code_dim: int = 100, width: int = 64) -> None:
        super().__init__()
        n_up = int(round(math.log2(size))) - 2
        if size < 8 or 2 ** (n_up + 2) != size:
            raise ValueError(f"size must be a power of two, at least 8; got {size}")
        if code_dim < 1 or width < 1:
            raise ValueError("code_dim and width must be positive")
        self.size, self.code_dim, self.width = size, code_dim, width
        chans = [width * 2**i for i in range(n_up)]  # w, 2w, 4w, 8w for a 64×64 image
        enc: list[nn.Module] = [nn.Conv2d(1, chans[0], 4, 2, 1, bias=False), LeakyReLU(0.2)]
        for a, b in zip(chans, chans[1:]):
            enc += [nn.Conv2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), LeakyReLU(0.2)]
        enc += [nn.Conv2d(chans[-1], code_dim, 4, 1, 0)]
        self.encoder = nn.Sequential(*enc)
        dec: list[nn.Module] = [nn.ConvTranspose2d(code_dim, chans[-1], 4, 1, 0, bias=False),
                                nn.BatchNorm2d(chans[-1]), nn.ReLU()]
        for a, b in zip(chans[::-1], chans[::-1][1:]):
            dec += [nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU()]
        dec += [nn.ConvTranspose2d(chans[0], 1, 4, 2, 1), nn.Sigmoid()]
        self.decoder = nn.Sequential(*dec)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``(n, size, size)`` to codes ``(n, code_dim)``."""
        if x.dim() == 3:
            x = x.unsqueeze(1)
        return self.encoder(x).flatten(1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes ``(n, code_dim)`` to images ``(n, size, size)``."""
        return self.decoder(z.reshape(len(z), self.code_dim, 1, 1))[:, 0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct images."""
        return self.decode(self.encode(x))
