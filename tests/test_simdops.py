"""The NumPy leaky ReLU gives ATen's bits: forward, backward, second derivatives, under torch.func, through training."""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from aebook.simdops import LeakyReLU, leaky_relu


def _edge_cases(dtype: torch.dtype) -> torch.Tensor:
    info = torch.finfo(dtype)
    special = torch.tensor([0.0, -0.0, float("nan"), float("inf"), -float("inf"), info.tiny, -info.tiny,
                            info.tiny / 4, -info.tiny / 4, info.max, -info.max, info.eps, -info.eps], dtype=dtype)
    return torch.cat([special, torch.randn(100_000, generator=torch.Generator().manual_seed(0), dtype=dtype) * 10])


def _same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    view = {torch.float32: torch.int32, torch.float64: torch.int64}[a.dtype]
    return a.shape == b.shape and torch.equal(a.contiguous().view(view), b.contiguous().view(view))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("slope", [0.2, 0.01, 0.0, 1.0])
def test_forward_and_backward_are_atens_bits(dtype, slope):
    x = _edge_cases(dtype).requires_grad_(True)
    grad = torch.randn(x.shape, generator=torch.Generator().manual_seed(1), dtype=dtype)
    grad[:13] = torch.tensor([1.0, -2.0, 3.0, 0.5, -0.5, 7.0, -7.0, 1e-30, -1e-30, 2.0, 3.0, -1.0, 1.0], dtype=dtype)
    ours = leaky_relu(x, slope)
    (ours_grad,) = torch.autograd.grad(ours, x, grad)
    theirs = F.leaky_relu(x, slope)
    (theirs_grad,) = torch.autograd.grad(theirs, x, grad)
    assert _same_bits(ours, theirs)
    assert _same_bits(ours_grad, theirs_grad)


def test_a_strided_input_and_the_module_match_torchs():
    x = torch.randn(8, 6, 5, generator=torch.Generator().manual_seed(2)).permute(2, 0, 1)[:, ::2]
    assert not x.is_contiguous()
    assert _same_bits(LeakyReLU(0.2)(x), torch.nn.LeakyReLU(0.2)(x))
    assert repr(LeakyReLU(0.2)) == repr(torch.nn.LeakyReLU(0.2))


def test_second_derivatives_and_torch_func_transforms_match_torchs():
    w = torch.randn(5, 7, generator=torch.Generator().manual_seed(3))
    xs = torch.randn(4, 7, generator=torch.Generator().manual_seed(4))

    def net(act):
        return lambda x: (act(act(w @ x, 0.2) * 3, 0.1) ** 2).sum()

    ours = torch.func.vmap(torch.func.jacrev(net(leaky_relu)))(xs)
    theirs = torch.func.vmap(torch.func.jacrev(net(F.leaky_relu)))(xs)
    assert _same_bits(ours, theirs)
    ours_h = torch.func.vmap(torch.func.hessian(net(leaky_relu)))(xs)
    theirs_h = torch.func.vmap(torch.func.hessian(net(F.leaky_relu)))(xs)
    assert _same_bits(ours_h, theirs_h)
    x = xs[0].clone().requires_grad_(True)
    grads = []
    for act in (leaky_relu, F.leaky_relu):  # plain autograd, create_graph: the NumPy ops' own backward twice
        (g,) = torch.autograd.grad(net(act)(x), x, create_graph=True)
        grads.append((g, *torch.autograd.grad((g * torch.arange(7.0)).sum(), x)))
    assert all(_same_bits(a, b) for a, b in zip(*grads))
    ours_f = torch.func.jacfwd(net(leaky_relu))(xs[0])
    theirs_f = torch.func.jacfwd(net(F.leaky_relu))(xs[0])
    assert _same_bits(ours_f, theirs_f)


def test_a_disk_autoencoder_trains_to_the_same_bits(monkeypatch):
    from aebook.models import disk_ae

    def trained():
        torch.manual_seed(0)
        model = disk_ae.DiskAutoencoder(size=16, depths=(4, 3, 2))
        opt = torch.optim.Adam(model.parameters(), lr=1e-2, fused=True)
        x = torch.rand(32, 16, 16, generator=torch.Generator().manual_seed(5))
        for _ in range(30):
            opt.zero_grad()
            ((model.decode(model.encode(x)) - x) ** 2).mean().backward()
            opt.step()
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    ours = trained()
    monkeypatch.setattr(disk_ae, "leaky_relu", F.leaky_relu)
    assert _same_bits(ours, trained())
    assert not np.isnan(ours.numpy()).any()


def test_nearest_upsampling_is_torchs_forward_and_backward():
    from aebook.simdops import Upsample

    x = torch.randn(6, 3, 5, 7, generator=torch.Generator().manual_seed(6)).requires_grad_(True)
    grad = torch.randn(6, 3, 10, 14, generator=torch.Generator().manual_seed(7))
    ours, theirs = Upsample(scale_factor=2)(x), torch.nn.Upsample(scale_factor=2)(x)
    assert _same_bits(ours, theirs) and repr(Upsample(scale_factor=2)) == repr(torch.nn.Upsample(scale_factor=2))
    assert _same_bits(torch.autograd.grad(ours, x, grad)[0], torch.autograd.grad(theirs, x, grad)[0])
    strided = x.detach().transpose(2, 3)
    assert _same_bits(Upsample(scale_factor=2)(strided), torch.nn.Upsample(scale_factor=2)(strided))
    assert Upsample(scale_factor=3)(x).shape == (6, 3, 15, 21)  # other factors: torch's own
