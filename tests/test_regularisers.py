import pytest
import torch

from aebook.models.dcgan import DCGANAutoencoder
from aebook.models.disk_ae import DiskAutoencoder
from aebook.regularisers import code_amplitude, locality, weight_l2
from aebook.train import StepContext


def context(model, batch):
    return StepContext(step=3, model=model, batch=batch, loss=torch.tensor(0.0))


def test_weight_penalties_cover_the_named_parts_only():
    torch.manual_seed(0)
    model = DiskAutoencoder()
    enc = sum((c.weight**2).sum() for c in model.encoder_convs)
    dec = sum((c.weight**2).sum() for c in model.decoder_convs)
    batch = torch.rand(2, 64, 64)
    torch.testing.assert_close(weight_l2(2.0)(context(model, batch)), 2.0 * (enc + dec))
    torch.testing.assert_close(weight_l2(2.0, ("encoder",))(context(model, batch)), 2.0 * enc)
    with pytest.raises(ValueError, match="unknown model part"):
        weight_l2(1.0, ("middle",))


def test_locality_is_zero_when_code_distances_match_image_distances():
    class Identity(torch.nn.Module):
        def encode(self, x):
            return x.flatten(1)

    batch = torch.rand(5, 4, 4)
    ctx = context(Identity(), batch)
    assert float(locality(1.0)(ctx)) == 0.0
    assert "locality" in ctx.logs
    torch.manual_seed(0)
    assert float(locality(1.0)(context(DiskAutoencoder(size=4, depths=(2,)), batch)).detach()) > 0


def test_code_amplitude_logs_without_adding_a_loss():
    model = DiskAutoencoder()
    ctx = context(model, torch.rand(2, 64, 64))
    assert code_amplitude(torch.rand(3, 64, 64))(ctx) is None
    assert ctx.logs["code_amplitude"] >= 0


def test_dcgan_autoencoder_shapes_and_errors():
    model = DCGANAutoencoder(size=64, code_dim=7, width=4)
    x = torch.rand(2, 64, 64)
    assert model.encode(x).shape == (2, 7)
    y = model(x).detach()
    assert y.shape == (2, 64, 64) and float(y.min()) >= 0 and float(y.max()) <= 1
    with pytest.raises(ValueError, match="power of two"):
        DCGANAutoencoder(size=48)


def test_weight_length_clips_filters_after_every_step_and_keys_the_cache(tmp_path):
    from aebook.models.mlp import MLPAutoencoder
    from aebook.regularisers import WeightLength
    from aebook.train import TrainConfig, train

    data = torch.rand(64, 6) * 20
    config = TrainConfig(steps=5, batch_size=16, lr=0.5)
    clipped = train(MLPAutoencoder(6, (4,), "sigmoid"), data, config, constraints=[WeightLength(0.3)],
                    cache_dir=tmp_path, progress=False)
    enc, dec = clipped.model.encoder[0].weight, clipped.model.decoder[0].weight
    assert enc.norm(dim=1).max() <= 0.3 + 1e-6 and dec.norm(dim=0).max() <= 0.3 + 1e-6
    free = train(MLPAutoencoder(6, (4,), "sigmoid"), data, config, cache_dir=tmp_path, progress=False)
    assert free.model.encoder[0].weight.norm(dim=1).max() > 0.3  # lr 0.5 on large inputs grows the filters
    other = train(MLPAutoencoder(6, (4,), "sigmoid"), data, config, constraints=[WeightLength(0.4)],
                  cache_dir=tmp_path, progress=False)
    assert len({clipped.key, free.key, other.key}) == 3


def test_contractive_penalty_equals_the_jacobian_norm():
    from aebook.models.mlp import MLPAutoencoder
    from aebook.regularisers import contractive
    from aebook.train import StepContext

    torch.manual_seed(0)
    model = MLPAutoencoder(5, (3,), "sigmoid").double()
    x = torch.rand(4, 5, dtype=torch.float64)
    value = contractive(2.0)(StepContext(0, model, x, torch.tensor(0.0)))
    jac = torch.stack([torch.autograd.functional.jacobian(lambda v: torch.sigmoid(model.encoder[0](v)), xi) for xi in x])
    assert float(value.detach()) == pytest.approx(2.0 * float((jac**2).sum(dim=(1, 2)).mean()))
