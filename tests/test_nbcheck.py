"""The notebook check as a pytest plugin: it re-executes a notebook and, off the reference float path, fails when a
row the recorded runs settle changes its verdict, naming the notebook and the claim (the comparison itself:
``tests/test_fallback.py``)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

from aebook.book.nbcheck import execute_notebook

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tinychapter" / "01-tiny.ipynb"


def _check(path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pytest", "-p", "aebook.book.nbcheck", "--claims-check", "-p", "no:cacheprovider",
           "--claims-check-out", str(tmp_path / "out"), str(path), "-q"]
    return subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)


def test_the_plugin_reexecutes_and_compares(tmp_path):
    committed = execute_notebook(TINY, timeout=120)          # n * scale = 4.5: partly, 10 % from its threshold
    good = tmp_path / "01-tiny.ipynb"
    good.write_text(json.dumps(committed))
    proc = _check(good, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "1 passed" in proc.stdout
    assert (tmp_path / "out" / "01-tiny.ipynb").exists()

    moved = copy.deepcopy(committed)
    for cell in moved["cells"]:
        for out in cell.get("outputs", []):
            record = out.get("metadata", {}).get("aebook", {}).get("claims")
            if record:
                # committed: reproduced far from a bar of 10, so the fresh 4.5 is the opposite verdict on a settled row
                record["claims"][0]["rule_spec"].update(reproduced=10, partly=8)
                record["claims"][0]["measured"]["product"] = 20.0
                record["claims"][0]["verdict"] = "reproduced"
    bad = tmp_path / "sub" / "01-tiny.ipynb"
    bad.parent.mkdir()
    bad.write_text(json.dumps(moved))
    proc = _check(bad, tmp_path)
    assert proc.returncode == 1
    assert "verdict 'not reproduced', where every recorded run gives 'reproduced'" in proc.stdout
    assert "01-tiny.ipynb" in proc.stdout
    assert "outside the band" in (tmp_path / "out" / "sub" / "01-tiny.fallback.txt").read_text()


def _set_parameter(nb: dict, old: str, new: str) -> dict:
    cell = nb["cells"][1]
    src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    assert old in src
    cell["source"] = src.replace(old, new)
    return nb


def test_a_mutation_that_halves_the_training_steps_fails_the_check_off_the_reference_path(tmp_path, monkeypatch):
    monkeypatch.setenv("AEBOOK_CACHE_DIR", str(tmp_path / "weights"))
    four = tmp_path / "four.ipynb"
    four.write_text(json.dumps(_set_parameter(json.loads(TINY.read_text()), "train_steps = 0", "train_steps = 4")))
    committed = execute_notebook(four, timeout=120)
    mutant = tmp_path / "mutant" / "01-tiny.ipynb"
    mutant.parent.mkdir()
    mutant.write_text(json.dumps(_set_parameter(committed, "train_steps = 4", "train_steps = 2")))
    proc = _check(mutant, tmp_path)  # without --claims-check-exact: the comparison for another CPU
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "training run 1 (Linear): config.steps 2 (committed 4)" in proc.stdout


def _set_fail(nb: dict) -> dict:
    return _set_parameter(nb, "fail = False", "fail = True")


def test_a_notebook_without_claims_or_with_an_error_fails(tmp_path):
    bare = tmp_path / "bare" / "01-tiny.ipynb"
    bare.parent.mkdir()
    bare.write_text(TINY.read_text())                       # no outputs: nothing to compare against
    proc = _check(bare, tmp_path)
    assert proc.returncode == 1 and "records no claims" in proc.stdout

    raising = tmp_path / "raising" / "01-tiny.ipynb"
    raising.parent.mkdir()
    raising.write_text(json.dumps(_set_fail(execute_notebook(TINY, timeout=120))))
    proc = _check(raising, tmp_path)
    assert proc.returncode == 1 and "a cell raised" in proc.stdout and "asked to fail" in proc.stdout



def test_notebooks_that_share_models_are_grouped_where_their_item_is_made():
    from aebook.book.nbcheck import shared_model_group

    chapters = ROOT / "chapters"
    groups = {p: shared_model_group(p) for p in chapters.glob("*/[0-9]*.ipynb")}
    ood = groups[chapters / "ood-geometry" / "01-family-and-reconstructions.ipynb"]
    assert ood and groups[chapters / "ood-geometry" / "02-eigenvalues.ipynb"] == ood
    assert groups[chapters / "conservative" / "03-deeper-and-beyond.ipynb"] == ood
    vae = groups[chapters / "spatial-vae" / "04-likelihood-and-minima.ipynb"]
    assert vae and vae != ood and groups[chapters / "spatial-vae" / "01-latent-size.ipynb"] == vae
    assert groups[chapters / "disks" / "01-encoding-disks.ipynb"] is None


def test_the_check_sends_each_shared_model_group_to_one_worker(tmp_path):
    """Under ``-n 2`` the plugin's scheduler puts a group's notebooks on one worker (three grouped notebooks that
    only record their worker, against three others)."""
    chapters = tmp_path / "chapters"
    for rel in ("ood-geometry/01-family-and-reconstructions", "ood-geometry/02-eigenvalues",
                "conservative/03-deeper-and-beyond", "disks/01-a", "disks/02-b", "disks/03-c"):
        nb = chapters / f"{rel}.ipynb"
        nb.parent.mkdir(parents=True, exist_ok=True)
        nb.write_text("{}")
    (tmp_path / "conftest.py").write_text(
        "import os\nimport pytest\nfrom aebook.book import nbcheck\n"
        "def _run(self):\n"
        "    with open(os.path.join(os.path.dirname(__file__), 'workers.txt'), 'a') as f:\n"
        "        f.write(f\"{self.path.stem} {os.environ['PYTEST_XDIST_WORKER']}\\n\")\n"
        "nbcheck.ClaimsItem.runtest = _run\n")
    cmd = [sys.executable, "-m", "pytest", "-p", "aebook.book.nbcheck", "--claims-check", "-p", "no:cacheprovider",
           "-n", "2", "-q", str(chapters)]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    workers = dict(line.split() for line in (tmp_path / "workers.txt").read_text().splitlines())
    assert len(workers) == 6
    assert workers["01-family-and-reconstructions"] == workers["02-eigenvalues"] == workers["03-deeper-and-beyond"]
