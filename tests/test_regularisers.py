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
