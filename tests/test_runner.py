"""End to end: `python -m aebook run` executes a notebook with papermill and writes claims and a summary."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TINY_CHAPTER = ROOT / "tests" / "fixtures" / "tinychapter"


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "aebook", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_run_writes_notebook_claims_and_summary(tmp_path):
    out = tmp_path / "runs"
    proc = run_cli("run", str(TINY_CHAPTER), "--profile", "paper", "--param", "scale=0.45", "--device", "cpu",
                   "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    folder = out / "tinychapter"
    executed = json.loads((folder / "01-tiny.ipynb").read_text())
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert injected and "n = 10" in "".join(injected[0]["source"]) and "scale = 0.45" in "".join(injected[0]["source"])
    claims = json.loads((folder / "01-tiny.claims.json").read_text())
    assert claims["claims"][0]["measured"] == {"product": 4.5}
    assert claims["claims"][0]["verdict"] == "partly"
    assert claims["profile"] == "paper"
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary) == 1 and summary[0]["status"] == "ok" and summary[0]["device"] == "cpu"
    assert summary[0]["parameters"] == {"n": 10, "scale": 0.45}
    assert {"torch", "numpy", "aebook"} <= set(summary[0]["versions"])
    assert summary[0]["claims"] == {"reproduced": 0, "partly": 1, "not reproduced": 0, "uninformative": 0,
                                    "not judged at this profile": 0}


def test_unknown_parameter_is_refused_before_anything_runs(tmp_path):
    out = tmp_path / "runs"
    proc = run_cli("run", str(TINY_CHAPTER), "--param", "nonsense=1", "--out", str(out))
    assert proc.returncode == 2
    assert "no parameter 'nonsense'" in proc.stderr and "scale (float, default 1.5)" in proc.stderr
    assert not out.exists()


def test_bad_device_and_profile_are_refused():
    assert run_cli("run", str(TINY_CHAPTER), "--device", "tpu").returncode == 2
    assert run_cli("run", str(TINY_CHAPTER), "--profile", "huge").returncode == 2


def test_a_time_budget_stops_training_with_a_checkpoint_and_a_rerun_elsewhere_carries_on(tmp_path, monkeypatch):
    import torch

    from aebook.book import execute
    from aebook.book.cache_archive import pack, unpack
    from aebook.book.runner import run
    from aebook.train import TrainConfig, train

    monkeypatch.setattr(execute, "STOP_MARGIN_S", 3.0)  # the real margins (20 s, 3 s) suit real notebooks
    monkeypatch.setattr(execute, "KILL_MARGIN_S", 1.0)
    monkeypatch.setenv("AEBOOK_CACHE_DIR", str(tmp_path / "cache"))
    steps = {"train_steps": 600}  # 0.05 s a step: 30 s of training, cut 27 s after the start (kernel start incl.)

    first = run([TINY_CHAPTER], "quick", steps, "cpu", tmp_path / "runs", time_budget=30)
    assert first[0]["status"] == "interrupted" and "deadline" in first[0]["error"]
    assert len(list((tmp_path / "cache").glob("*.ckpt"))) == 1  # the finished steps were kept
    summary = json.loads((tmp_path / "runs" / "summary.json").read_text())
    assert summary[0]["status"] == "interrupted"

    pack(tmp_path / "move.pack", tmp_path / "cache")  # the checkpoint moves to another machine's cache
    unpack(tmp_path / "move.pack", tmp_path / "elsewhere")
    monkeypatch.setenv("AEBOOK_CACHE_DIR", str(tmp_path / "elsewhere"))
    second = run([TINY_CHAPTER], "quick", steps, "cpu", tmp_path / "runs")  # the same command, no budget
    assert second[0]["status"] == "ok" and not list((tmp_path / "elsewhere").glob("*.ckpt"))
    resumed = json.loads((tmp_path / "runs" / "tinychapter" / "01-tiny.claims.json").read_text())

    torch.manual_seed(0)  # the notebook's run, never interrupted, in this process
    model, data = torch.nn.Linear(4, 4), torch.randn(64, 4)
    straight = train(model, data, TrainConfig(steps=600, batch_size=8, checkpoint_every=10), cache=False,
                     progress=False)
    assert resumed["claims"][0]["measured"]["weights"] == float(straight.model.weight.detach().double().sum())


def test_sets_the_budget_cannot_start_are_left_for_the_next_run(tmp_path):
    out = tmp_path / "runs"
    proc = run_cli("run", str(TINY_CHAPTER), "--device", "cpu", "--out", str(out), "--time-budget", "5")
    assert proc.returncode == 3, proc.stderr
    assert "not started" in proc.stdout and "run the same command again" in proc.stdout
    assert not (out / "tinychapter").exists()
    assert run_cli("run", str(TINY_CHAPTER), "--time-budget", "-1").returncode == 2


def test_notebooks_that_train_shared_models_run_before_the_notebooks_that_load_them():
    from pathlib import Path

    from aebook.book.runner import find_notebooks, order_by_shared

    given = [Path("chapters/spatial-vae/04-likelihood-and-minima.ipynb"), Path("chapters/disks/01-encoding-disks.ipynb"),
             Path("chapters/ood-geometry/02-eigenvalues.ipynb"), Path("chapters/spatial-vae/01-latent-size.ipynb"),
             Path("chapters/ood-geometry/01-family-and-reconstructions.ipynb")]
    names = [f"{p.parent.name}/{p.stem}" for p in order_by_shared(given)]
    assert names == ["spatial-vae/01-latent-size", "spatial-vae/04-likelihood-and-minima", "disks/01-encoding-disks",
                     "ood-geometry/01-family-and-reconstructions", "ood-geometry/02-eigenvalues"]
    everything = find_notebooks([Path(__file__).resolve().parents[1] / "chapters"])  # a folder of chapters
    ids = [f"{p.parent.name}/{p.stem}" for p in everything]
    assert len(ids) == len(set(ids)) >= 19 and not any("paper-run" in str(p) for p in everything)
    assert ids.index("ood-geometry/01-family-and-reconstructions") < ids.index("conservative/03-deeper-and-beyond")
    assert ids.index("spatial-vae/02-codes") < ids.index("spatial-vae/04-likelihood-and-minima")
