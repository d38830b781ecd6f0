"""A run's files have one lifecycle (aebook.training.store.RunStore): finished weights per member, one checkpoint to
resume from, a checkpoint on interruption, nothing written when the cache is off."""

from __future__ import annotations

import pytest
import torch

import aebook.training.store as runstore
from aebook.training.store import RunStore


def test_finish_stores_every_member_and_drops_the_checkpoint(tmp_path):
    store = RunStore(tmp_path / "w", ["a", "b"], "group.ckpt")
    assert not store.finished() and store.resume(torch.device("cpu")) is None
    store.checkpoint({"step": 3})
    assert store.resume(torch.device("cpu")) == {"step": 3}
    store.finish([{"history": [1.0]}, {"history": [2.0]}])
    assert store.finished() and not store.checkpoint_path.exists()
    assert [r["history"] for r in store.load_finished(torch.device("cpu"))] == [[1.0], [2.0]]
    with pytest.raises(ValueError, match="2 members"):
        store.finish([{}])


def test_a_disabled_store_reads_and_writes_nothing(tmp_path):
    RunStore(tmp_path, ["a"], "a.ckpt").finish([{"history": []}])  # a finished run from an earlier call
    off = RunStore(tmp_path, ["a"], "a.ckpt", enabled=False)
    off.checkpoint({"step": 1})
    assert not off.finished() and off.resume(torch.device("cpu")) is None and not off.checkpoint_path.exists()


def test_a_checkpoint_is_due_at_a_multiple_of_the_steps_once_enough_time_passed(tmp_path, monkeypatch):
    store = RunStore(tmp_path, ["a"], "a.ckpt")
    monkeypatch.setattr(runstore, "CHECKPOINT_SECONDS", 0.0)
    assert store.due(10, 5) and not store.due(11, 5)
    monkeypatch.setattr(runstore, "CHECKPOINT_SECONDS", 1e9)
    assert not store.due(10, 5)


def test_an_interruption_saves_then_goes_through(tmp_path):
    store, saved = RunStore(tmp_path, ["a"], "a.ckpt"), []
    with pytest.raises(KeyboardInterrupt):
        with store.keep_on_interrupt(lambda: saved.append(True)):
            raise KeyboardInterrupt
    assert saved == [True]
    with store.keep_on_interrupt(lambda: saved.append(False)):
        pass
    assert saved == [True]
    with pytest.raises(ValueError, match="at least one key"):
        RunStore(tmp_path, [], "x.ckpt")
