"""The prepared device script's dry run on the CPU: a slice executed within a budget, at most eight files back."""

from __future__ import annotations

import tarfile
from pathlib import Path

from aebook.book.device_slice import MAX_FILES, main

ROOT = Path(__file__).resolve().parents[1]
TINY = "tests/fixtures/tinychapter/01-tiny.ipynb"


def test_a_cpu_dry_run_executes_the_slice_and_leaves_what_a_call_brings_back(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "OUT"
    rc = main([TINY, "--device", "cpu", "--profile", "quick", "--budget", "120", "--bench-seconds", "0",
               "--fingerprint-seconds", "0", "--wheels", "none", "--out", str(out), "--work", str(tmp_path / "w")])
    assert rc == 0
    files = sorted(p.name for p in out.iterdir())
    assert {"env.txt", "run.log", "runs.tgz"} <= set(files) and len(files) <= MAX_FILES
    with tarfile.open(out / "runs.tgz") as tar:
        names = tar.getnames()
    assert any(n.endswith("01-tiny.ipynb") for n in names) and any(n.endswith("01-tiny.claims.json") for n in names)
    log = (out / "run.log").read_text()
    assert "paper slice: exit 0" in log and "done in" in log


def test_an_unknown_notebook_is_refused_before_anything_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["chapters/nope/01-x.ipynb", "--out", str(tmp_path / "OUT"), "--wheels", "none"]) == 2
    assert "no such notebook" in capsys.readouterr().err and not (tmp_path / "OUT" / "run.log").exists()
