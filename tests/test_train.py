import pytest
import torch
from torch import nn

from aebook.device import resolve_device
from aebook.models.mlp import MLPAutoencoder
from aebook.train import StepContext, TrainConfig, train


def tiny_model() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 2), nn.Tanh(), nn.Linear(2, 8))


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(64, 8, generator=g)


def weights(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_same_seed_same_weights_other_seed_other_weights(data, tmp_path):
    cfg = TrainConfig(steps=30, batch_size=16, lr=1e-2, seed=3)
    a = train(tiny_model(), data, cfg, cache=False, progress=False)
    b = train(tiny_model(), data, cfg, cache=False, progress=False)
    c = train(tiny_model(), data, TrainConfig(steps=30, batch_size=16, lr=1e-2, seed=4), cache=False, progress=False)
    torch.testing.assert_close(weights(a.model), weights(b.model), rtol=0, atol=0)
    assert not torch.equal(weights(a.model), weights(c.model))
    assert a.history["loss"][-1] < a.history["loss"][0]


def test_second_call_loads_from_the_cache(data, private_cache):
    cfg = TrainConfig(steps=20, batch_size=16, lr=1e-2)
    first = train(tiny_model(), data, cfg, progress=False)
    assert not first.from_cache and (private_cache / f"{first.key}.pt").exists()
    second = train(tiny_model(), data, cfg, progress=False)
    assert second.from_cache and second.key == first.key
    torch.testing.assert_close(weights(first.model), weights(second.model), rtol=0, atol=0)
    assert second.history == first.history
    # Anything that changes the result changes the key: the data, a setting, an extra description.
    assert train(tiny_model(), data * 2, cfg, progress=False).key != first.key
    assert train(tiny_model(), data, TrainConfig(steps=21, batch_size=16, lr=1e-2), progress=False).key != first.key
    assert train(tiny_model(), data, cfg, extra_key={"reg": 1.0}, progress=False).key != first.key


def test_interrupted_run_resumes_to_the_same_weights(data, private_cache):
    cfg = TrainConfig(steps=40, batch_size=16, lr=1e-2, checkpoint_every=7)
    reference = train(tiny_model(), data, cfg, cache=False, progress=False)

    def interrupt_at_25(ctx: StepContext):
        if ctx.step == 25:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(tiny_model(), data, cfg, callbacks=[interrupt_at_25], progress=False)
    assert len(list(private_cache.glob("*.ckpt"))) == 1  # the 25 finished steps were kept
    resumed = train(tiny_model(), data, cfg, progress=False)
    assert not resumed.from_cache
    assert len(resumed.history["loss"]) == 40
    torch.testing.assert_close(weights(resumed.model), weights(reference.model))
    assert not list(private_cache.glob("*.ckpt"))  # a finished run leaves no checkpoint


def test_callbacks_add_regularisers_and_logs(data):
    cfg = TrainConfig(steps=15, batch_size=16, lr=1e-2)

    def l2(ctx: StepContext):
        penalty = sum((p**2).sum() for p in ctx.model.parameters())
        ctx.logs["l2"] = float(penalty.detach())
        return 0.1 * penalty

    plain = train(tiny_model(), data, cfg, cache=False, progress=False)
    reg = train(tiny_model(), data, cfg, callbacks=[l2], cache=False, progress=False)
    assert len(reg.history["l2"]) == 15
    assert weights(reg.model).norm() < weights(plain.model).norm()


def test_bad_settings_and_devices_are_refused():
    with pytest.raises(ValueError, match="steps"):
        TrainConfig(steps=-1)
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(steps=1, optimizer="rmsprop")
    with pytest.raises(ValueError, match="unknown device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")
    assert resolve_device("cpu").type == "cpu"


def test_auto_device_honours_the_environment(monkeypatch):
    monkeypatch.setenv("AEBOOK_DEVICE", "cpu")
    assert resolve_device("auto").type == "cpu"
    monkeypatch.setenv("AEBOOK_DEVICE", "gpu0")
    with pytest.raises(ValueError, match="unknown device"):
        resolve_device("auto")


def test_models_differing_only_in_a_flag_get_different_keys(data):
    from aebook.models.disk_ae import DiskAutoencoder

    images = torch.rand(8, 64, 64)
    cfg = TrainConfig(steps=1, batch_size=4)
    standard = train(DiskAutoencoder(), images, cfg, progress=False)
    linear = train(DiskAutoencoder(linear_encoder=True), images, cfg, progress=False)
    assert standard.key != linear.key and not linear.from_cache


class Scaled(nn.Module):
    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor
        self.lin = nn.Linear(8, 8)

    def forward(self, x):
        return self.lin(x) * self.factor


def test_plain_attributes_enter_the_key(data):
    cfg = TrainConfig(steps=1, batch_size=4)
    assert train(Scaled(1.0), data, cfg, progress=False).key != train(Scaled(2.0), data, cfg, progress=False).key


def test_the_loss_function_enters_the_key(data):
    def l1(model, batch):
        return (model(batch) - batch).abs().mean()

    cfg = TrainConfig(steps=2, batch_size=4)
    plain = train(tiny_model(), data, cfg, progress=False)
    other = train(tiny_model(), data, cfg, loss_fn=l1, progress=False)
    assert other.key != plain.key and not other.from_cache


def test_snapshots_are_the_weights_after_that_many_steps_and_come_back_from_the_cache(tmp_path):
    data = torch.rand(40, 6)
    config = TrainConfig(steps=10, batch_size=8, lr=0.01)
    run = train(MLPAutoencoder(6, (3,)), data, config, snapshot_steps=[0, 4, 10], cache_dir=tmp_path, progress=False)
    assert sorted(run.snapshots) == [0, 4, 10]
    short = train(MLPAutoencoder(6, (3,)), data, TrainConfig(steps=4, batch_size=8, lr=0.01), cache_dir=tmp_path,
                  progress=False)
    for k, v in short.model.state_dict().items():
        torch.testing.assert_close(run.snapshots[4][k], v)
        torch.testing.assert_close(run.snapshots[10][k], run.model.state_dict()[k])
    assert not torch.equal(run.snapshots[0]["encoder.0.weight"], run.snapshots[4]["encoder.0.weight"])
    again = train(MLPAutoencoder(6, (3,)), data, config, snapshot_steps=[0, 4, 10], cache_dir=tmp_path, progress=False)
    assert again.from_cache and sorted(again.snapshots) == [0, 4, 10]
    torch.testing.assert_close(again.snapshots[4]["encoder.0.weight"], run.snapshots[4]["encoder.0.weight"])
    with pytest.raises(ValueError, match="snapshot steps"):
        train(MLPAutoencoder(6, (3,)), data, config, snapshot_steps=[11], cache_dir=tmp_path, progress=False)


def _threads_inside_training(threads_outside: int) -> set[int]:
    """The torch thread counts in force at each step of a short CPU training, started with ``threads_outside``."""
    seen: set[int] = set()
    torch.set_num_threads(threads_outside)
    train(tiny_model(), torch.rand(64, 8, generator=torch.Generator().manual_seed(0)),
          TrainConfig(steps=5, batch_size=16), callbacks=[lambda ctx: seen.add(torch.get_num_threads())],
          device="cpu", cache=False, progress=False)
    return seen


@pytest.fixture
def restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("outside", [1, 3])
def test_training_uses_two_threads_whatever_the_process_was_given(outside, monkeypatch, restore_threads):
    monkeypatch.delenv("AEBOOK_TRAIN_THREADS", raising=False)
    assert _threads_inside_training(outside) == {2}


def test_the_environment_sets_the_training_thread_count(monkeypatch, restore_threads):
    monkeypatch.setenv("AEBOOK_TRAIN_THREADS", "1")
    assert _threads_inside_training(3) == {1}


def test_the_thread_count_outside_training_is_restored(monkeypatch, restore_threads):
    monkeypatch.setenv("AEBOOK_TRAIN_THREADS", "2")
    _threads_inside_training(3)
    assert torch.get_num_threads() == 3


@pytest.mark.parametrize("bad", ["zero", "0", "-1"])
def test_a_bad_training_thread_count_is_refused(bad, monkeypatch, restore_threads):
    monkeypatch.setenv("AEBOOK_TRAIN_THREADS", bad)
    with pytest.raises(ValueError, match="AEBOOK_TRAIN_THREADS"):
        _threads_inside_training(1)


def test_training_stops_at_the_deadline_with_a_checkpoint_and_resumes_to_the_same_weights(
        data, private_cache, monkeypatch):
    from types import SimpleNamespace

    from aebook import budget

    cfg = TrainConfig(steps=30, batch_size=16, seed=3, checkpoint_every=1000)
    reference = train(tiny_model(), data, cfg, cache=False, progress=False)
    clock = iter(range(10_000))  # one tick per step: the deadline falls before step 12
    monkeypatch.setattr(budget, "time", SimpleNamespace(time=lambda: float(next(clock))))
    monkeypatch.setenv("AEBOOK_DEADLINE", "12")
    with pytest.raises(budget.TimeBudgetExceeded, match="rerun"):
        train(tiny_model(), data, cfg, progress=False)
    monkeypatch.delenv("AEBOOK_DEADLINE")
    resumed = train(tiny_model(), data, cfg, progress=False)
    assert not resumed.from_cache and len(resumed.history["loss"]) == 30
    torch.testing.assert_close(weights(resumed.model), weights(reference.model), rtol=0, atol=0)


def test_a_bad_deadline_is_refused(monkeypatch):
    from aebook import budget

    monkeypatch.setenv("AEBOOK_DEADLINE", "soon")
    with pytest.raises(ValueError, match="AEBOOK_DEADLINE"):
        budget.deadline()


@pytest.mark.parametrize("every_seconds, first_seen", [(0.0, 5), (1e9, None)])
def test_checkpoints_are_written_by_elapsed_time(data, private_cache, monkeypatch, every_seconds, first_seen):
    import aebook.training.store as runstore

    monkeypatch.setattr(runstore, "CHECKPOINT_SECONDS", every_seconds)
    seen = []
    look = lambda ctx: seen.append(bool(list(private_cache.glob("*.ckpt"))))  # noqa: E731
    train(tiny_model(), data, TrainConfig(steps=20, batch_size=16, checkpoint_every=5), callbacks=[look],
          progress=False)
    assert (seen.index(True) if True in seen else None) == first_seen


def test_logged_tensors_are_read_back_in_step_order(data, private_cache):
    logged = lambda ctx: ctx.logs.update(step=torch.tensor(float(ctx.step)), half=ctx.step / 2)  # noqa: E731
    run = train(tiny_model(), data, TrainConfig(steps=450, batch_size=16), callbacks=[logged], progress=False)
    assert run.history["step"] == [float(s) for s in range(450)]
    assert run.history["half"] == [s / 2 for s in range(450)] and len(run.history["loss"]) == 450


def noisy_mse(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    """A loss that draws from the global random generator each step, as a VAE's does."""
    return nn.functional.mse_loss(model(batch + 0.1 * torch.randn_like(batch)), batch)


@pytest.mark.parametrize("stop_at", [0, 13, 25])
def test_a_run_whose_loss_draws_noise_resumes_bit_for_bit(data, private_cache, stop_at):
    """The checkpoint keeps the random state at the start of the first unfinished step, so the resumed run draws the
    noise the uninterrupted one drew: the same weights and losses, bit for bit."""
    cfg = TrainConfig(steps=40, batch_size=16, lr=1e-2, checkpoint_every=7)
    reference = train(tiny_model(), data, cfg, loss_fn=noisy_mse, cache=False, progress=False, device="cpu")

    def interrupt(ctx: StepContext):
        if ctx.step == stop_at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(tiny_model(), data, cfg, loss_fn=noisy_mse, callbacks=[interrupt], progress=False, device="cpu")
    resumed = train(tiny_model(), data, cfg, loss_fn=noisy_mse, progress=False, device="cpu")
    assert not resumed.from_cache and resumed.history["loss"] == reference.history["loss"]
    assert torch.equal(weights(resumed.model), weights(reference.model))


def test_a_long_analysis_stops_at_the_run_s_deadline(monkeypatch):
    import time as _time

    import numpy as np

    from aebook import budget
    from aebook.experiments import ood_geometry as og

    monkeypatch.setenv("AEBOOK_DEADLINE", str(_time.time() - 1))
    with pytest.raises(budget.TimeBudgetExceeded, match="spectra"):
        og.spectral_summary(og.untrained_family([2]), {og.D_TRAIN: np.zeros((4, 784), np.float32)})
    monkeypatch.setenv("AEBOOK_DEADLINE", str(_time.time() + 3600))
    budget.check_now("nothing")  # a deadline not yet reached lets it run
