"""The recipes of the conservative chapter: denoising loss, fields on a grid, curl, filter similarity."""

import numpy as np
import pytest
import torch

from aebook.experiments import conservative as cv
from aebook.losses import DenoisingMSE
from aebook.models.mlp import MLPAutoencoder
from aebook.models.untied import AuthorsInitAutoencoder, LinearDecoderAutoencoder, authors_init_bound


def test_denoising_loss_is_a_function_of_the_batch_and_of_sigma():
    torch.manual_seed(0)
    model = MLPAutoencoder(2, (8,), "relu")
    batch = torch.rand(16, 2)
    loss = DenoisingMSE(0.3)
    with torch.no_grad():
        assert float(loss(model, batch)) == float(loss(model, batch))  # same batch, same noise: resumable
        clean = torch.nn.functional.mse_loss(model(batch), batch)
        assert float(DenoisingMSE(0.0)(model, batch)) == pytest.approx(float(clean))
        assert float(DenoisingMSE(1.0)(model, batch)) != pytest.approx(float(clean))


def test_field_and_curl_of_a_linear_rotation():
    # r(x) = A x with A a rotation by 90° scaled by 0.5: field (A − I)x, curl = A₂₁ − A₁₂ = 1 everywhere
    model = MLPAutoencoder(2, (2,), "relu")
    with torch.no_grad():
        model.encoder[0].weight.copy_(torch.eye(2) * 1.0)
        model.encoder[0].bias.fill_(10.0)  # keep the ReLU in its linear part on the grid
        model.decoder[0].weight.copy_(torch.tensor([[0.0, -0.5], [0.5, 0.0]]))
        model.decoder[0].bias.copy_(-model.decoder[0].weight @ torch.full((2,), 10.0))
    f = cv.planar_field(model, n=5)
    np.testing.assert_allclose(f.curl, 1.0, atol=1e-6)
    x, y = np.meshgrid(f.xs, f.ys)
    np.testing.assert_allclose(f.u, -0.5 * y - x, atol=1e-5)
    np.testing.assert_allclose(f.v, 0.5 * x - y, atol=1e-5)
    assert cv.mean_abs_curl(model, np.zeros((3, 2), dtype=np.float32)) == pytest.approx(1.0, abs=1e-6)
    assert cv.relative_change(f, f) == 0.0


def test_matched_filter_cosine_is_one_for_tied_weights():
    model = MLPAutoencoder(6, (4,), "sigmoid")
    with torch.no_grad():
        model.decoder[0].weight.copy_(model.encoder[0].weight.T * 3)
    assert cv.matched_filter_cosine(model) == pytest.approx(1.0)


def test_authors_initialisation_puts_filters_above_the_weight_length_cap():
    import math

    from aebook.experiments import conservative as cv

    torch.manual_seed(0)
    model = AuthorsInitAutoencoder(784, (500,), "sigmoid")
    model.after_reset()
    w_norms, r_norms = cv.filter_norms(model)
    assert authors_init_bound(784, 500) == pytest.approx(4 * math.sqrt(6 / 1284))
    assert w_norms.min() > math.sqrt(10) and r_norms.min() > math.sqrt(10)  # about 4.4: the cap binds at once
    assert cv.share_at_cap(model, math.sqrt(10)) == 1.0
    assert float(model.encoder[0].bias.detach().abs().max()) == 0.0
    default = MLPAutoencoder(784, (500,), "sigmoid")  # PyTorch's default: norms ≈ 0.6, far below the cap
    assert cv.share_at_cap(default, math.sqrt(10)) == 0.0


def test_linear_decoder_autoencoder_has_two_hidden_layers():
    from aebook.analysis.symmetry import mlp_jacobian

    model = LinearDecoderAutoencoder(12, (8, 5), "sigmoid")
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(12, 8), (8, 5), (5, 12)]
    x = torch.rand(3, 12)
    jac = mlp_jacobian(model, x)
    auto = torch.stack([torch.autograd.functional.jacobian(model, xi[None])[0, :, 0] for xi in x])
    torch.testing.assert_close(jac, auto, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_a_stacked_table1_group_equals_each_model_trained_alone(private_cache, activation):
    data = torch.rand(200, 32, generator=torch.Generator().manual_seed(2))
    settings = dict(hidden=(24,), epochs=10, batch_size=50, lr=3e-3, max_norm=2.0, init="authors", seed=1,
                    snapshot_steps=[0], device="cpu")
    members = [(0.0, False), (0.0, True), (0.5, False), (0.5, True)]
    group = cv.train_mnist_ae_group(data, activation, members, stacked=True, **settings)
    looped = cv.train_mnist_ae_group(data, activation, members, **settings)  # on the CPU: one after another
    for (lam, wl), member, lone in zip(members, group, looped):
        alone = cv.train_mnist_ae(data, activation, contractive_weight=lam, weight_length=wl, **settings)
        assert alone.from_cache  # the CPU's group member is the lone run itself: the lone call finds it cached
        for x, y, z in zip(member.model.state_dict().values(), alone.model.state_dict().values(),
                           lone.model.state_dict().values()):
            torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-6)
            assert torch.equal(y, z)
        torch.testing.assert_close(torch.tensor(member.history["loss"]), torch.tensor(alone.history["loss"]),
                                   rtol=1e-5, atol=1e-7)
        for a, b in zip(cv.at_snapshot(member, 0).state_dict().values(), cv.at_snapshot(alone, 0).state_dict().values()):
            assert torch.equal(a, b)
    # the constraint acts on the +wl members only, and the penalty changes the model
    assert cv.share_at_cap(group[1].model, 2.0) > 0 and cv.filter_norms(group[1].model)[0].max() <= 2.0 + 1e-5
    assert cv.filter_norms(group[0].model)[0].max() > 2.5
    assert not torch.allclose(group[2].model.encoder[0].weight, group[0].model.encoder[0].weight)
    again = cv.train_mnist_ae_group(data, activation, members, stacked=True, **settings)
    assert all(r.from_cache and 0 in r.snapshots for r in again)


def test_a_blurred_copy_of_the_encoder_reads_as_smoothed_and_a_random_decoder_does_not():
    torch.manual_seed(0)
    model = MLPAutoencoder(784, (50,), "sigmoid")
    w = model.encoder[0].weight.detach().numpy().astype(np.float64)
    rough = cv.filter_roughness(w)
    assert rough.mean() > 10  # white-noise filters
    before = cv.smoothed_filter_figures(model)  # R independent of W at initialisation
    assert before["median roughness, decoder / encoder filter"] == pytest.approx(1.0, abs=0.1)
    assert abs(before["mean cosine gain from blurring the encoder filter"]) < 0.02
    with torch.no_grad():
        model.decoder[0].weight.copy_(torch.from_numpy(cv.gaussian_blur(w, 1.0).T.copy()))
    after = cv.smoothed_filter_figures(model)
    assert after["median roughness, decoder / encoder filter"] < 0.2
    assert after["mean cosine gain from blurring the encoder filter"] > 0.3


def test_the_planned_denoising_noise_trains_what_the_step_by_step_noise_trains(tmp_path):
    """train() lets DenoisingMSE draw every step's noise ahead (no host sync at each step); the weights and losses
    are those of drawing it step by step from the batch, bit for bit, and the plan is dropped afterwards."""
    from aebook.train import TrainConfig, train

    data = torch.rand(50, 2, generator=torch.Generator().manual_seed(1))
    config = TrainConfig(steps=30, batch_size=10, lr=0.01, seed=4)
    loss = DenoisingMSE(0.1)
    planned = train(MLPAutoencoder(2, (16,), "sigmoid"), data, config, loss_fn=loss, cache=False, progress=False,
                    device="cpu")
    step_by_step = train(MLPAutoencoder(2, (16,), "sigmoid"), data, config, loss_fn=lambda m, b: loss(m, b),
                         cache=False, progress=False, device="cpu")
    assert planned.history["loss"] == step_by_step.history["loss"]
    for a, b in zip(planned.model.state_dict().values(), step_by_step.model.state_dict().values()):
        assert torch.equal(a, b)
    assert loss._noise is None and loss._current is None  # released: a later call draws from its batch
    batch = data[:10]
    assert torch.equal(loss(planned.model, batch), loss(planned.model, batch))
