"""One training step of every model and loss of the book, on the CPU, under the capture lint: none may sync with the
host or copy from it, or its steps could not be replayed as a CUDA graph (the GPU review's G1 and its lint)."""

import pytest
import torch

from aebook.capturelint import backward_step, lint_step


def test_the_lint_flags_what_breaks_a_capture():
    model = torch.nn.Linear(3, 3)
    x = torch.rand(4, 3)
    host_constant = lambda m, b: ((m(b) - torch.tensor([1.0, 0.0, 0.0])) ** 2).mean()  # noqa: E731
    read_back = lambda m, b: m(b).sum() * float(b.sum())  # noqa: E731
    shape_from_data = lambda m, b: m(b)[m(b) > 0].sum()  # noqa: E731
    found = [lint_step(backward_step(model, fn, x)) for fn in (host_constant, read_back, shape_from_data)]
    assert [{name for name, _ in f} for f in found] == [{"aten::lift_fresh"}, {"aten::_local_scalar_dense"},
                                                         {"aten::index", "aten::index_put"}]
    assert lint_step(backward_step(model, lambda m, b: ((m(b) - b) ** 2).mean(), x)) == []


def test_the_old_affine_identity_was_flagged():
    """G1: the identity of affine_from_offsets was built from Python values in every step."""
    u = torch.zeros(2, 6, requires_grad=True)
    old = lambda: (torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]) + u.view(-1, 2, 3)).sum().backward()  # noqa: E731
    assert lint_step(old)
    from aebook.geometry import affine_from_offsets

    assert lint_step(lambda: affine_from_offsets(u).sum().backward()) == []
    assert torch.equal(affine_from_offsets(torch.zeros(1, 6))[0], torch.tensor([[1.0, 0, 0], [0, 1.0, 0]]))


def _disks():
    from aebook.experiments.disks import regularised_loss
    from aebook.models.dcgan import DCGANAutoencoder
    from aebook.models.disk_ae import DiskAutoencoder
    from aebook.train import reconstruction_mse

    x = torch.rand(4, 16, 16)  # disk images come without a channel axis
    small = lambda: DiskAutoencoder(16, depths=(4, 2, 2))  # noqa: E731
    weights = {"locality": torch.tensor(1e-4), "encoder_l2": torch.tensor(1e-3), "decoder_l2": torch.tensor(1e-3),
               "pairs": torch.tensor([1, 2, 3, 0])}
    regularised = regularised_loss(torch.rand(2, 16, 16))
    return [("disk autoencoder", small, reconstruction_mse, x),
            ("disk autoencoder, regularised", small, lambda m, b: regularised(m, b, **weights), x),
            ("DCGAN autoencoder", lambda: DCGANAutoencoder(size=16, code_dim=1, width=4), reconstruction_mse, x)]


def _atomic():
    from aebook.models.atomic import AtomicAutoencoder, PlainAutoencoder
    from aebook.train import reconstruction_mse

    x = torch.rand(4, 1, 16, 16)
    return [("atomic", lambda: AtomicAutoencoder(16, 3, 3), reconstruction_mse, x),
            ("plain", lambda: PlainAutoencoder(16, 9), reconstruction_mse, x)]


def _conservative():
    from aebook.experiments.conservative import cae_loss
    from aebook.losses import DenoisingMSE
    from aebook.models.mlp import MLPAutoencoder
    from aebook.models.mlp_family import MLPFamily, family_mse
    from aebook.train import TrainConfig

    planar = torch.rand(8, 2)
    denoising = DenoisingMSE(0.1)
    denoising.plan(planar, TrainConfig(steps=2, batch_size=8), torch.device("cpu"))  # as train() does
    denoising.at_step(0)
    x = torch.rand(4, 784)
    weight = torch.tensor(0.1)
    return [("planar MLP, denoising", lambda: MLPAutoencoder(2, (16,), "relu"), denoising, planar),
            ("784-50-784 CAE", lambda: MLPAutoencoder(784, (50,), "sigmoid"), lambda m, b: cae_loss(m, b, weight), x),
            ("ood family", lambda: MLPFamily([2, 4]), family_mse, x)]


def _spatial():
    from aebook.experiments.spatial_vae import KINDS, build
    from aebook.models.vae import negative_elbo

    x = torch.rand(4, 1, 28, 28)
    kinds = [(kind, {}) for kind in [*KINDS, "interpretable-tvae"]] + [("affine-tvae", {"init": "far"})]
    return [(f"{kind} {opts}", lambda kind=kind, opts=opts: build(kind, 4, **opts), negative_elbo, x)
            for kind, opts in kinds]


CASES = [case for make in (_disks, _atomic, _conservative, _spatial) for case in make()]


@pytest.mark.parametrize("name, make_model, loss, batch", CASES, ids=[c[0] for c in CASES])
def test_no_step_of_the_book_syncs_with_the_host(name, make_model, loss, batch):
    torch.manual_seed(0)
    model = make_model()
    step = backward_step(model, loss, batch)
    step()  # the first call may build what later steps reuse (outside any capture, as the graph's warm-up does)
    assert lint_step(step) == [], name
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad), name


def _stacked_steps():
    """The three stacked steps the book trains on a GPU, as their strategies build them (two members each)."""
    from aebook.experiments.conservative import WeightLength, cae_loss
    from aebook.experiments.disks import locality_pairs, regularised_loss
    from aebook.experiments.spatial_vae import build
    from aebook.models.disk_ae import DiskAutoencoder
    from aebook.models.mlp import MLPAutoencoder
    from aebook.models.vae import negative_elbo
    from aebook.stacked import StackedModels
    from aebook.train import TrainConfig

    cpu = torch.device("cpu")
    configs = [TrainConfig(steps=2, batch_size=4, seed=s) for s in (0, 1)]
    disks = StackedModels([DiskAutoencoder(16, depths=(4, 2, 2)) for _ in configs], [torch.rand(8, 16, 16)] * 2,
                          configs, [{"locality": 1e-4, "encoder_l2": 1e-3, "decoder_l2": 0.0}] * 2, cpu,
                          regularised_loss(torch.rand(2, 16, 16)),
                          step_args=lambda s: {"pairs": torch.stack([locality_pairs(i, s, 4) for i in (0, 1)])})
    cae = StackedModels([MLPAutoencoder(784, (20,), "sigmoid") for _ in configs], [torch.rand(8, 784)] * 2, configs,
                        [{"contractive": 0.1, "weight_length": 1.0}, {"contractive": 0.0, "weight_length": 0.0}],
                        cpu, cae_loss, constraint=WeightLength(1.0).stacked)
    vae = StackedModels([build("affine-tvae", 2) for _ in configs], [torch.rand(8, 1, 28, 28)] * 2, configs,
                        [{}, {}], cpu, negative_elbo, randomness="different")
    return [("disks grid, regularised", disks), ("CAE group with weight length", cae), ("T-VAE seeds", vae)]


@pytest.mark.parametrize("name, strategy", _stacked_steps(), ids=lambda c: c if isinstance(c, str) else "")
def test_no_stacked_step_syncs_with_the_host(name, strategy):
    """The whole vmapped step (batch gather at the planned rows, every member's loss, backward, the constraint) as
    the lifecycle runs it, with SGD standing in for the capturable optimiser (a capturable optimiser runs only on a
    GPU, and a CPU Adam reads its step counter back)."""
    optimizer = torch.optim.SGD(strategy.parameters(), lr=0.01)
    inputs = {k: v[0] for k, v in strategy.plan(0, 1).items()}
    strategy.step(inputs, optimizer)  # the first step builds what later steps reuse, as the graph's warm-up does
    assert lint_step(lambda: strategy.step(inputs, optimizer)) == [], name
