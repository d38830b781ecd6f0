import pytest
import torch

from aebook.models.disk_ae import DiskAutoencoder


def test_shapes_follow_table_1():
    model = DiskAutoencoder()
    x = torch.rand(3, 64, 64)
    z = model.encode(x)
    assert z.shape == (3, 1)
    assert model.decode(z).shape == (3, 64, 64)
    assert [c.out_channels for c in model.encoder_convs] == [8, 4, 4, 3, 2, 1]
    assert [c.out_channels for c in model.decoder_convs] == [2, 3, 4, 4, 8, 1]


def test_bad_architectures_are_refused_clearly():
    with pytest.raises(ValueError, match="power of two"):
        DiskAutoencoder(size=48)
    with pytest.raises(ValueError, match="hidden depths"):
        DiskAutoencoder(size=32)


def test_decoder_without_bias_is_positively_homogeneous():
    torch.manual_seed(0)
    model = DiskAutoencoder(bias=False)
    z = torch.randn(4, 1)
    for lam in (0.5, 3.0):
        torch.testing.assert_close(model.decode(lam * z), lam * model.decode(z), rtol=1e-5, atol=1e-6)


def test_linear_encoder_is_linear():
    torch.manual_seed(0)
    model = DiskAutoencoder(linear_encoder=True, bias=False)
    a, b = torch.rand(2, 64, 64), torch.rand(2, 64, 64)
    torch.testing.assert_close(model.encode(a + 2 * b), model.encode(a) + 2 * model.encode(b), rtol=1e-4, atol=1e-5)
