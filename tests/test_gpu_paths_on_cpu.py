"""The rewritings made for the GPU compute what the plain forms compute, to rounding (checked here on the CPU): the
atomic decoder summing its blocks before the last upsampling and convolution (on every device now), and the
closed-form 2×2 inverse; and the step a CUDA graph holds, run eagerly, trains what the loop trains."""

from __future__ import annotations

import pytest
import torch

from aebook.models.atomic import AtomicAutoencoder
from aebook.geometry import affine_from_pose, inverse_2x2, invert_affine


@pytest.mark.parametrize("size, k, d0", [(16, 3, 3), (32, 4, 6)])
def test_summing_blocks_before_the_last_layers_equals_summing_the_atoms(size, k, d0):
    torch.manual_seed(0)
    model = AtomicAutoencoder(size, k=k, d0=d0)
    z = torch.randn(5, k * d0)
    drawn = model.atoms(z).sum(dim=1, keepdim=True).detach()
    summed = model.decode(z)
    assert summed.shape == drawn.shape == (5, 1, size, size)
    torch.testing.assert_close(summed.detach(), drawn, rtol=1e-5, atol=1e-6)
    summed.sum().backward()  # the gradients agree too: training follows the same objective
    grads = [p.grad.clone() for p in model.block.parameters()]
    model.zero_grad()
    model.atoms(z).sum().backward()
    for a, b in zip(grads, (p.grad for p in model.block.parameters())):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_the_closed_form_inverse_of_a_2x2_matrix_is_the_solver_s():
    torch.manual_seed(0)
    a = torch.randn(64, 2, 2, dtype=torch.float64) + 2 * torch.eye(2, dtype=torch.float64)
    torch.testing.assert_close(inverse_2x2(a), torch.linalg.inv(a))
    theta = affine_from_pose(torch.randn(8, 5) * 0.2)
    inv = invert_affine(theta)
    composed = inv[:, :, :2] @ theta[:, :, :2]
    torch.testing.assert_close(composed, torch.eye(2).expand(8, 2, 2), rtol=1e-5, atol=1e-5)


def GraphedStep(model, loss_fn, optimizer, data, seed, batch_size, start, stop, window=None):
    """One model's step as a CUDA graph holds it (gradients zeroed in place), on static buffers, from the trainer."""
    from aebook.train import SingleModel, TrainConfig

    config = TrainConfig(steps=max(stop, 1), batch_size=batch_size, seed=seed)
    strategy = SingleModel(model, data, config, torch.device("cpu"), loss_fn, graphed=True)
    return strategy.step_graph(optimizer, start, stop, window)


def _tiny_run(steps=12, batch=8, optimizer="adam"):
    from aebook.models.mlp import MLPAutoencoder
    from aebook.train import TrainConfig

    data = torch.rand(64, 6, generator=torch.Generator().manual_seed(3))
    return MLPAutoencoder(6, (5,), "sigmoid"), data, TrainConfig(steps=steps, batch_size=batch, lr=0.01, seed=2,
                                                                  optimizer=optimizer)


@pytest.mark.parametrize("optimizer", ["adam", "adadelta"])
def test_the_graphed_step_on_static_buffers_trains_what_the_loop_trains(optimizer):
    """The step a CUDA graph would hold, run eagerly on its static buffers, gives the loop's weights and losses bit for
    bit: the planned rows are the loop's batches, and the body is the loop's step."""
    from aebook.train import reconstruction_mse, train
    from aebook.training.lifecycle import fixed_threads, initial_weights, train_threads
    from aebook.training.optim import make_optimizer

    model, data, config = _tiny_run(optimizer=optimizer)
    loop = train(model, data, config, cache=False, progress=False, device="cpu")
    fresh = initial_weights(_tiny_run(optimizer=optimizer)[0], config.seed)
    opt = make_optimizer(config.optimizer, fresh.parameters(), config.lr, config.weight_decay, torch.device("cpu"))
    # a plan window of 5 steps: the 12 steps cross two windows, so replanning is exercised too
    stepper = GraphedStep(fresh, reconstruction_mse, opt, data, config.seed, config.batch_size, 0, config.steps,
                          window=5)
    with fixed_threads(train_threads()):
        losses = [float(stepper.run(s)["loss"]) for s in range(config.steps)]
    assert losses == loop.history["loss"]
    for (name, a), b in zip(loop.model.state_dict().items(), fresh.state_dict().values()):
        assert torch.equal(a, b), name


def test_planned_rows_are_the_loop_s_batches_and_a_resumed_plan_starts_where_it_resumes():
    from aebook.training.optim import batch_indices, planned_rows

    rows = planned_rows(100, 7, 5, 3, 9)
    assert rows.shape == (6, 7)
    for i, s in enumerate(range(3, 9)):
        assert torch.equal(rows[i], batch_indices(100, 7, 5, s))
    assert planned_rows(100, 7, 5, 4, 4).shape == (0, 7)
    with pytest.raises(ValueError):
        planned_rows(100, 7, 5, 5, 4)


def test_what_a_graph_needs_is_refused_clearly_on_the_cpu():
    from aebook.train import TrainConfig, reconstruction_mse
    from aebook.training.graph import prime_optimizer_state, use_cuda_graph
    from aebook.training.optim import capturable_optimizer

    model, data, config = _tiny_run()
    with pytest.raises(ValueError, match="capturable"):
        capturable_optimizer("sgd", model.parameters(), 0.1, 0.0)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    prime_optimizer_state(opt, model)  # creates the state without moving a weight
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(float(t.abs().sum()) == 0 for st in opt.state.values() for t in st.values() if torch.is_tensor(t))
    stepper = GraphedStep(model, reconstruction_mse, opt, data, 0, 8, 0, 2)
    with pytest.raises(RuntimeError, match="CUDA"):
        stepper.capture()
    with pytest.raises(IndexError):
        stepper.run(2)
    with pytest.raises(ValueError, match="at least one step"):
        GraphedStep(model, reconstruction_mse, opt, data, 0, 8, 2, 2)
    with pytest.raises(ValueError, match="window"):
        GraphedStep(model, reconstruction_mse, opt, data, 0, 8, 0, 2, window=0)
    assert not use_cuda_graph(torch.device("cpu"), config, ())
    cuda = torch.device("cuda")
    assert use_cuda_graph(cuda, config, ()) and not use_cuda_graph(cuda, config, (lambda ctx: None,))
    assert not use_cuda_graph(cuda, TrainConfig(steps=2, batch_size=2, optimizer="sgd"), ())


def test_the_atomic_model_s_gpu_layout_leaves_the_cpu_path_as_it_was():
    torch.manual_seed(0)
    model = AtomicAutoencoder(16, k=3, d0=3)
    x = torch.rand(4, 1, 16, 16)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.on_device(torch.device("cpu"))  # nothing to do off the GPU
    assert all(torch.equal(before[k], v) and v.is_contiguous() for k, v in model.state_dict().items())
    with torch.no_grad():
        assert torch.equal(model(x), model.decode(model.encode(x)))  # float32, atoms summed as they are


def _state_bits(model, opt):
    flat = {k: v.clone() for k, v in model.state_dict().items()}
    flat.update({(i, k): (v.clone() if torch.is_tensor(v) else v) for i, st in enumerate(opt.state.values())
                 for k, v in st.items()})
    return flat


def _same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) if torch.is_tensor(a[k]) else a[k] == b[k] for k in a)


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_capture_s_warm_up_changes_nothing(weight_decay):
    """The warm-up capture runs before recording (three real steps) puts back the weights, the optimiser's state and
    the random state bit for bit, also when the optimiser lacks state for some parameters (a resumed run) and when
    priming that state moves weights (weight decay: the GPU review's G5, where the weights were saved after it)."""
    from aebook.train import reconstruction_mse

    model, data, _ = _tiny_run()
    opt = torch.optim.Adam(model.parameters(), lr=0.1, weight_decay=weight_decay)
    first = list(model.parameters())[0]
    first.grad = torch.ones_like(first)
    opt.step()  # state for the first parameter only, as after resuming a run that lacked the others'
    first.grad = None
    stepper = GraphedStep(model, lambda m, b: reconstruction_mse(m, b) + torch.rand(()).mean() * 0, opt, data, 0, 8,
                          0, 4)
    before, rng = _state_bits(model, opt), torch.get_rng_state()
    stepper.warm_up(3)
    assert torch.equal(torch.get_rng_state(), rng)
    after = _state_bits(model, opt)
    assert all(_same({k: before[k]}, {k: after[k]}) for k in before)  # what existed is as it was, bit for bit
    fresh = set(after) - set(before)  # the state primed for the other parameters: all zero
    assert fresh and all(float(after[k].abs().sum()) == 0 for k in fresh if torch.is_tensor(after[k]))
    assert len(opt.state) == len(list(model.parameters()))
    assert stepper.run(0)["loss"].dim() == 0  # and the step then runs as it would have


def test_a_checkpoint_resumes_with_the_optimiser_s_own_way_of_running():
    """G6: a checkpoint carries its optimiser's flags (fused, foreach, capturable); loading it keeps the resuming
    optimiser's own, with its step counters where they belong, and the state's values."""
    from aebook.training.optim import load_optimizer_state

    p = torch.nn.Parameter(torch.rand(5))
    fused = torch.optim.Adam([p], lr=0.1, fused=True)
    p.grad = torch.rand(5)
    fused.step()
    saved = fused.state_dict()
    eager = torch.optim.Adam([p], lr=0.1, foreach=False)
    load_optimizer_state(eager, saved)
    group = eager.param_groups[0]
    assert not group["fused"] and group["foreach"] is False
    assert torch.equal(eager.state[p]["exp_avg"], fused.state[p]["exp_avg"]) and float(eager.state[p]["step"]) == 1
    eager.step()  # runs as an eager optimiser
    back = torch.optim.Adam([p], lr=0.1, fused=True)
    load_optimizer_state(back, eager.state_dict())
    assert back.param_groups[0]["fused"] and float(back.state[p]["step"]) == 2
    back.step()
    plain = torch.optim.Adam([p], lr=0.1)
    plain.load_state_dict(eager.state_dict())  # what loading did before: the checkpoint's flags win
    assert plain.param_groups[0]["foreach"] is False


def test_a_failed_capture_is_said_and_strict_mode_stops_there(monkeypatch, capsys):
    """G2: a capture that fails falls back to eager steps with a warning and one stderr line; under
    AEBOOK_CUDA_GRAPH=strict it raises, so a check or a benchmark never passes eager steps off as a graph's."""
    from aebook.train import reconstruction_mse
    from aebook.training.graph import CaptureFailed, capture_or_warn

    model, data, _ = _tiny_run()
    stepper = GraphedStep(model, reconstruction_mse, torch.optim.Adam(model.parameters()), data, 0, 8, 0, 2)
    monkeypatch.delenv("AEBOOK_CUDA_GRAPH", raising=False)
    with pytest.warns(RuntimeWarning, match="capture failed for the tiny run"):
        assert capture_or_warn(stepper, "the tiny run") is False  # the CPU cannot capture: a stand-in failure
    assert "aebook: CUDA graph capture failed for the tiny run" in capsys.readouterr().err
    assert stepper.graph is None and stepper.run(0)["loss"].dim() == 0
    monkeypatch.setenv("AEBOOK_CUDA_GRAPH", "strict")
    with pytest.raises(CaptureFailed, match="the tiny run"):
        capture_or_warn(stepper, "the tiny run")
