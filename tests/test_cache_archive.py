"""The weight cache moves between machines in pieces: an interrupted training, packed, unpacked elsewhere and resumed
there, ends on the same weights as one run through; damaged or missing pieces are refused."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from aebook.book.cache_archive import ArchiveError, cache_files, pack, unpack
from aebook.models.mlp import MLPAutoencoder
from aebook.train import StepContext, TrainConfig, train

DATA = torch.rand(500, 64, generator=torch.Generator().manual_seed(1))
CONFIG = TrainConfig(steps=60, batch_size=50, checkpoint_every=20)


def _train(cache, stop_at=None):
    def stop(ctx: StepContext):
        if stop_at is not None and ctx.step == stop_at:
            raise KeyboardInterrupt
    return train(MLPAutoencoder(64, (32,), "relu"), DATA, CONFIG, callbacks=[stop], cache_dir=cache, progress=False)


def _weights(result):
    return torch.cat([p.detach().flatten() for p in result.model.parameters()])


def test_interrupt_pack_move_unpack_resume_gives_the_same_weights(tmp_path):
    whole = _weights(_train(tmp_path / "reference"))
    here, there = tmp_path / "here", tmp_path / "there"
    with pytest.raises(KeyboardInterrupt):
        _train(here, stop_at=37)
    assert [p.suffix for p in cache_files(here)] == [".ckpt"]
    manifest = pack(tmp_path / "move" / "weights.pack", here, piece_bytes=4096)
    assert len(manifest["pieces"]) > 1 and all(p["bytes"] <= 4096 for p in manifest["pieces"])
    report = unpack(tmp_path / "move" / "weights.pack", there)
    assert list(report.values()) == ["added"]
    resumed = _train(there)
    assert not resumed.from_cache and len(resumed.history["loss"]) == CONFIG.steps
    assert torch.equal(_weights(resumed), whole)


def test_finished_runs_are_kept_and_stale_checkpoints_are_not_brought_back(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    with pytest.raises(KeyboardInterrupt):
        _train(src, stop_at=25)                     # a checkpoint at step 25 on the source machine
    _train(dst)                                    # the same run finished on the destination
    pack(tmp_path / "p", src)
    assert list(unpack(tmp_path / "p", dst).values()) == ["skipped: the run is finished here"]
    assert [p.suffix for p in cache_files(dst)] == [".pt"]

    further, behind = tmp_path / "further", tmp_path / "behind"
    with pytest.raises(KeyboardInterrupt):
        _train(further, stop_at=45)
    with pytest.raises(KeyboardInterrupt):
        _train(behind, stop_at=15)
    pack(tmp_path / "q", behind)
    assert list(unpack(tmp_path / "q", further).values()) == ["kept the local checkpoint (as far or further along)"]
    pack(tmp_path / "r", further)
    assert list(unpack(tmp_path / "r", behind).values()) == ["added"]


def test_damaged_or_missing_pieces_are_refused_before_anything_is_written(tmp_path):
    src = tmp_path / "src"
    _train(src)
    pack(tmp_path / "w.pack", src, piece_bytes=2048)
    piece = tmp_path / "w.pack.001"
    piece.write_bytes(b"x" + piece.read_bytes()[1:])
    with pytest.raises(ArchiveError, match="w.pack.001 is damaged"):
        unpack(tmp_path / "w.pack", tmp_path / "dst")
    assert not (tmp_path / "dst").exists() or not cache_files(tmp_path / "dst")
    piece.unlink()
    with pytest.raises(ArchiveError, match="w.pack.001 is missing"):
        unpack(tmp_path / "w.pack", tmp_path / "dst")
    (tmp_path / "bad.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ArchiveError, match="not a pack manifest"):
        unpack(tmp_path / "bad.json", tmp_path / "dst")


def test_the_command_line_packs_and_unpacks(tmp_path):
    src = tmp_path / "src"
    _train(src)
    run = lambda *a: subprocess.run([sys.executable, "-m", "aebook", "cache", *a], capture_output=True,  # noqa: E731
                                    text=True, timeout=120)
    packed = run("pack", str(tmp_path / "c.pack"), "--cache", str(src))
    assert packed.returncode == 0 and "packed 1 files" in packed.stdout, packed.stderr
    unpacked = run("unpack", str(tmp_path / "c.pack"), "--cache", str(tmp_path / "dst"))
    assert unpacked.returncode == 0 and "1 of 1 files added" in unpacked.stdout
    missing = run("unpack", str(tmp_path / "nothing.pack"))
    assert missing.returncode == 2 and "no pack manifest" in missing.stderr


def test_an_interrupted_stacked_run_moves_in_a_pack_and_resumes_there(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from aebook import budget
    from aebook.stacked import train_stacked

    def make():
        return MLPAutoencoder(64, (32,), "relu")

    configs = [TrainConfig(steps=60, batch_size=50, seed=s) for s in (0, 1)]
    straight = train_stacked(make, DATA, configs, cache_dir=tmp_path / "reference")
    here, there = tmp_path / "here", tmp_path / "there"
    clock = iter(range(10_000))
    monkeypatch.setattr(budget, "time", SimpleNamespace(time=lambda: float(next(clock))))
    monkeypatch.setenv("AEBOOK_DEADLINE", "25")
    with pytest.raises(budget.TimeBudgetExceeded):
        train_stacked(make, DATA, configs, cache_dir=here)
    monkeypatch.delenv("AEBOOK_DEADLINE")
    assert [p.name.split("-")[0] for p in cache_files(here)] == ["stacked"]
    pack(tmp_path / "move" / "w.pack", here, piece_bytes=4096)
    assert list(unpack(tmp_path / "move" / "w.pack", there).values()) == ["added"]
    done = int(torch.load(cache_files(there)[0], weights_only=True)["step"])
    assert 0 < done < 60
    import aebook.training.optim as train_module  # where the stacked plan (planned_rows) draws each step's rows

    drawn, draw = [], train_module.batch_indices

    def counted(n, batch_size, seed, step):
        drawn.append(step)
        return draw(n, batch_size, seed, step)

    monkeypatch.setattr(train_module, "batch_indices", counted)
    resumed = train_stacked(make, DATA, configs, cache_dir=there)
    assert min(drawn) == done  # carried on from the moved checkpoint, not from step 0
    for a, b in zip(resumed, straight):
        assert len(a.history["loss"]) == 60
        assert torch.equal(_weights(a), _weights(b))


def test_a_checkpoints_only_pack_leaves_finished_runs_behind(tmp_path):
    cache = tmp_path / "cache"
    _train(cache)  # a finished run
    with pytest.raises(KeyboardInterrupt):
        train(MLPAutoencoder(64, (16,), "relu"), DATA, CONFIG, cache_dir=cache, progress=False,
              callbacks=[lambda ctx: (_ for _ in ()).throw(KeyboardInterrupt) if ctx.step == 5 else None])
    assert sorted(p.suffix for p in cache_files(cache)) == [".ckpt", ".pt"]
    manifest = pack(tmp_path / "ckpt.pack", cache, checkpoints_only=True)
    assert [f["name"][-5:] for f in manifest["files"]] == [".ckpt"]
    assert len(pack(tmp_path / "all.pack", cache)["files"]) == 2


def test_the_cache_command_prints_its_help():
    proc = subprocess.run([sys.executable, "-m", "aebook", "cache", "-h"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "--checkpoints-only" in proc.stdout and "unpack" in proc.stdout
