import pytest
import torch

from aebook.models.mlp_family import MLPFamily, member_family


def test_members_compute_the_family_outputs():
    torch.manual_seed(0)
    family = MLPFamily([2, 5], in_dim=12, hidden=(8, 6))
    x = torch.rand(4, 12)
    out = family(x)
    assert out.shape == (2, 4, 12)
    for i, member in enumerate(family.members()):
        torch.testing.assert_close(member(x), out[i], rtol=1e-6, atol=1e-6)
        assert member.encode(x).shape == (4, family.latent_sizes[i])


def test_a_member_family_computes_that_member_alone_and_draws_no_random_numbers():
    torch.manual_seed(0)
    family = MLPFamily([2, 5, 3], in_dim=12, hidden=(8, 6)).double()
    x = torch.rand(4, 12, dtype=torch.float64)
    state = torch.random.get_rng_state()
    ones = [member_family(family, i) for i in range(3)]
    assert torch.equal(torch.random.get_rng_state(), state)
    for i, one in enumerate(ones):
        assert one.latent_sizes == (family.latent_sizes[i],) and one.mask.dtype == torch.float64
        assert one.weights[family.n_encoder_layers - 1].shape[1] == family.latent_sizes[i]  # no padding
        torch.testing.assert_close(one(x)[0], family(x)[i], rtol=0, atol=1e-12)


def test_batched_training_matches_training_each_member_alone():
    torch.manual_seed(0)
    family = MLPFamily([2, 5], in_dim=12, hidden=(8, 6))
    alone = family.members()
    opt_family = torch.optim.Adam(family.parameters(), lr=1e-2)
    opts = [torch.optim.Adam(m.parameters(), lr=1e-2) for m in alone]
    g = torch.Generator().manual_seed(1)
    for _ in range(5):
        x = torch.rand(16, 12, generator=g)
        loss = ((family(x) - x) ** 2).mean(dim=(1, 2)).sum()
        opt_family.zero_grad()
        loss.backward()
        opt_family.step()
        for m, opt in zip(alone, opts):
            member_loss = ((m(x) - x) ** 2).mean()
            opt.zero_grad()
            member_loss.backward()
            opt.step()
    x = torch.rand(3, 12)
    with torch.no_grad():
        for i, member in enumerate(family.members()):
            for trained_together, trained_alone in zip(member.parameters(), alone[i].parameters()):
                torch.testing.assert_close(trained_together, trained_alone, rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(member(x), alone[i](x), rtol=1e-5, atol=1e-6)


def test_bad_families_are_refused():
    with pytest.raises(ValueError, match="latent_sizes"):
        MLPFamily([])
    with pytest.raises(ValueError, match="unknown activation"):
        MLPFamily([2], activation="swish")


def test_the_family_trains_through_the_book_training_loop():
    from aebook.models.mlp_family import family_mse
    from aebook.train import TrainConfig, train

    data = torch.rand(64, 12, generator=torch.Generator().manual_seed(0))
    cfg = TrainConfig(steps=30, batch_size=16, lr=1e-2)
    first = train(MLPFamily([2, 3], in_dim=12, hidden=(8,)), data, cfg, loss_fn=family_mse, progress=False)
    assert first.history["loss"][-1] < first.history["loss"][0]
    again = train(MLPFamily([2, 3], in_dim=12, hidden=(8,)), data, cfg, loss_fn=family_mse, progress=False)
    assert again.from_cache
    other = train(MLPFamily([2, 4], in_dim=12, hidden=(8,)), data, cfg, loss_fn=family_mse, progress=False)
    assert other.key != first.key  # the latent sizes enter the cache key
