"""Stacked training: every member ends where the same model trained alone ends; members differ in seed, data or a
loss weight; the run is cached per member, checkpointed, and resumes after an interruption to the same weights."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from aebook.models.mlp import MLPAutoencoder
from aebook.stacked import config_for, train_stacked
from aebook.train import TrainConfig, train

DATA = torch.rand(300, 32, generator=torch.Generator().manual_seed(5))
BASE = TrainConfig(steps=40, batch_size=25, lr=3e-3)


def make() -> nn.Module:
    return MLPAutoencoder(32, (16, 4), "relu")


def _weights(model: nn.Module) -> list[torch.Tensor]:
    return [v.detach().clone() for v in model.state_dict().values()]


def _close(a: nn.Module, b: nn.Module) -> None:
    for x, y in zip(_weights(a), _weights(b)):
        torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-6)


def test_each_member_equals_the_model_trained_alone(private_cache):
    configs = [config_for(seed, BASE) for seed in (0, 1, 2)]
    together = train_stacked(make, DATA, configs)
    for config, member in zip(configs, together):
        alone = train(make(), DATA, config, cache=False, progress=False)
        _close(member.model, alone.model)
        torch.testing.assert_close(torch.tensor(member.history["loss"]), torch.tensor(alone.history["loss"]),
                                   rtol=1e-5, atol=1e-7)
    again = train_stacked(make, DATA, configs)
    assert all(r.from_cache for r in again)
    assert all(torch.equal(x, y) for a, b in zip(together, again) for x, y in zip(_weights(a.model), _weights(b.model)))


def test_members_may_differ_in_data_and_in_a_loss_weight(private_cache):
    datas = [DATA, DATA.flip(0) * 0.5]
    lams = [0.0, 0.1]

    def loss(model, batch, lam):
        z = model.encode(batch)
        return nn.functional.mse_loss(model.decode(z), batch) + lam * z.pow(2).mean()

    together = train_stacked(make, datas, [BASE, BASE], loss=loss, member_args=[{"lam": v} for v in lams])
    for data, lam, member in zip(datas, lams, together):
        def alone_loss(model, batch, lam=lam):
            return loss(model, batch, torch.tensor(lam))
        alone = train(make(), data, BASE, loss_fn=alone_loss, cache=False, progress=False)
        _close(member.model, alone.model)


def test_an_interrupted_stacked_run_resumes_to_the_same_weights(private_cache, monkeypatch):
    from types import SimpleNamespace

    from aebook import budget

    configs = [config_for(seed, BASE) for seed in (3, 4)]
    straight = train_stacked(make, DATA, configs, cache=False)
    clock = iter(range(10_000))
    monkeypatch.setattr(budget, "time", SimpleNamespace(time=lambda: float(next(clock))))
    monkeypatch.setenv("AEBOOK_DEADLINE", "15")
    with pytest.raises(budget.TimeBudgetExceeded):
        train_stacked(make, DATA, configs)
    assert len(list(private_cache.glob("stacked-*.ckpt"))) == 1
    monkeypatch.delenv("AEBOOK_DEADLINE")
    resumed = train_stacked(make, DATA, configs)
    assert not list(private_cache.glob("stacked-*.ckpt"))
    for a, b in zip(resumed, straight):
        assert len(a.history["loss"]) == 40
        assert all(torch.equal(x, y) for x, y in zip(_weights(a.model), _weights(b.model)))


def test_members_that_differ_in_more_than_seed_data_or_weight_are_refused():
    with pytest.raises(ValueError, match="steps, batch size"):
        train_stacked(make, DATA, [BASE, TrainConfig(steps=41, batch_size=25, lr=3e-3)], cache=False)
    with pytest.raises(ValueError, match="same shape"):
        train_stacked(make, [DATA, DATA[:10]], [BASE, BASE], cache=False)
    with pytest.raises(ValueError, match="at least one"):
        train_stacked(make, DATA, [], cache=False)


def test_a_run_planned_a_few_steps_at_a_time_trains_the_same_members(private_cache, monkeypatch):
    """The stacked step reads its rows and step arguments from a plan of ``PLAN_WINDOW`` steps (the buffers a CUDA
    graph replays from); a window that the 40 steps cross several times changes nothing, bit for bit."""
    from aebook.training import graph as graphstep

    configs = [config_for(seed, BASE) for seed in (0, 1)]

    def loss(model, batch, shift):
        return nn.functional.mse_loss(model(batch + shift[:, None]), batch)

    def shifts(step):  # a step argument: one value per member and row, a function of the step alone
        return {"shift": torch.rand(2, 25, generator=torch.Generator().manual_seed(step)) * 0.01}

    whole = train_stacked(make, DATA, configs, loss=loss, step_args=shifts, cache=False, device="cpu")
    monkeypatch.setattr(graphstep, "PLAN_WINDOW", 7)
    windowed = train_stacked(make, DATA, configs, loss=loss, step_args=shifts, cache=False, device="cpu")
    for a, b in zip(whole, windowed):
        assert a.history["loss"] == b.history["loss"] and len(a.history["loss"]) == 40
        assert all(torch.equal(x, y) for x, y in zip(_weights(a.model), _weights(b.model)))
    monkeypatch.setattr(graphstep, "PLAN_WINDOW", 1000)
    shifted_once = train_stacked(make, DATA, configs, loss=loss, step_args=lambda s: shifts(s + 1), cache=False,
                                 device="cpu")
    assert shifted_once[0].history["loss"] != whole[0].history["loss"]  # the step arguments do reach the loss
