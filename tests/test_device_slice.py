"""The prepared device script's dry run on the CPU: a slice executed within a budget, at most eight files back."""

from __future__ import annotations

import importlib.util
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# a script of the repository (device/slice.py), not a module of the library: loaded from its file
_SPEC = importlib.util.spec_from_file_location("device_slice", ROOT / "device" / "slice.py")
device_slice = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(device_slice)
MAX_FILES, main = device_slice.MAX_FILES, device_slice.main
TINY = "tests/fixtures/tinychapter/01-tiny.ipynb"


def test_a_cpu_dry_run_executes_the_slice_and_leaves_what_a_call_brings_back(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "OUT"
    rc = main([TINY, "--device", "cpu", "--profile", "quick", "--budget", "180", "--bench-seconds", "0",
               "--smoke-steps", "4", "--smoke-only", "784,denoising", "--fingerprint-seconds", "0", "--wheels", "none",
               "--out", str(out), "--work", str(tmp_path / "w")])
    assert rc == 0
    files = sorted(p.name for p in out.iterdir())
    assert {"env.txt", "run.log", "runs.tgz"} <= set(files) and len(files) <= MAX_FILES
    with tarfile.open(out / "runs.tgz") as tar:
        names = tar.getnames()
    assert any(n.endswith("01-tiny.ipynb") for n in names) and any(n.endswith("01-tiny.claims.json") for n in names)
    log = (out / "run.log").read_text()
    assert "paper slice: exit 0" in log and "done in" in log
    smoke = (out / "bench.txt").read_text()  # the graph smoke check, first: eager only here, resumes exact
    assert "device/smoke.py: exit 0" in log and "2 of 2 families passed" in smoke
    assert "| 784-500-784 | no CUDA | yes | no CUDA | yes |" in smoke


def test_an_unknown_notebook_is_refused_before_anything_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["chapters/nope/01-x.ipynb", "--out", str(tmp_path / "OUT"), "--wheels", "none"]) == 2
    assert "no such notebook" in capsys.readouterr().err and not (tmp_path / "OUT" / "run.log").exists()


def test_a_step_past_its_time_limit_takes_its_children_with_it(tmp_path):
    """G13: a step killed at its limit must not leave its notebook kernels running while runs/ is packed."""
    import os
    import sys
    import time

    Log, _step = device_slice.Log, device_slice._step

    out = tmp_path / "step.log"
    spawn = ("import subprocess, sys, time; "
             "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
             "print(p.pid, flush=True); time.sleep(60)")
    t0 = time.time()
    assert _step(Log(tmp_path / "run.log"), "sleeper", [sys.executable, "-c", spawn], dict(os.environ), 3, out) == 124
    assert time.time() - t0 < 20
    child = int(out.read_text().split()[0])
    for _ in range(50):  # the orphan is reaped by init shortly after its kill
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{child}/stat") as f:
            if f.read().split()[2] == "Z":
                break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the step's child {child} is still running")
