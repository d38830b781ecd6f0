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
    assert summary[0]["claims"] == {"reproduced": 0, "partly": 1, "not reproduced": 0}


def test_unknown_parameter_is_refused_before_anything_runs(tmp_path):
    out = tmp_path / "runs"
    proc = run_cli("run", str(TINY_CHAPTER), "--param", "nonsense=1", "--out", str(out))
    assert proc.returncode == 2
    assert "no parameter 'nonsense'" in proc.stderr and "scale (float, default 1.5)" in proc.stderr
    assert not out.exists()


def test_bad_device_and_profile_are_refused():
    assert run_cli("run", str(TINY_CHAPTER), "--device", "tpu").returncode == 2
    assert run_cli("run", str(TINY_CHAPTER), "--profile", "huge").returncode == 2
