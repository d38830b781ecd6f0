"""The notebook check compares claims with tolerances: it passes a rerun within tolerance, and fails, naming the
notebook, claim and both figures, when a figure moves beyond it or a verdict flips on a claim that is not
borderline."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

from aebook.book.nbcheck import compare_claims, execute_notebook

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tinychapter" / "01-tiny.ipynb"


def _nb(figure: float, verdict: str = "reproduced", borderline: bool = False, rel: float = 0.05) -> dict:
    claim = {"id": "c1", "measured": {"x": figure}, "verdict": verdict, "borderline": borderline,
             "tolerance": {"rel": rel, "abs": 1e-6}}
    out = {"output_type": "display_data", "data": {}, "metadata": {"aebook": {"claims": {
        "notebook": "01-t", "claims": [claim]}}}}
    return {"cells": [{"cell_type": "code", "source": "", "outputs": [out]}]}


def test_within_tolerance_passes_and_beyond_fails_with_both_figures():
    assert compare_claims(_nb(1.0), _nb(1.04)) == []
    problems = compare_claims(_nb(1.0), _nb(1.2))
    assert len(problems) == 1 and "'c1'" in problems[0] and "'x'" in problems[0]
    assert "committed 1," in problems[0] and "now 1.2" in problems[0]


def test_the_claims_own_tolerance_is_used():
    assert compare_claims(_nb(1.0, rel=0.3), _nb(1.2)) == []


def test_a_figure_with_a_tolerance_of_its_own_is_compared_with_it():
    def two(x, y):
        nb = _nb(x)
        claim = nb["cells"][0]["outputs"][0]["metadata"]["aebook"]["claims"]["claims"][0]
        claim["measured"]["y"] = y
        claim["tolerance"]["figures"] = {"y": {"rel": 0.0, "abs": 5.0}}
        return nb

    assert compare_claims(two(1.0, 10.0), two(1.0, 14.0)) == []  # y may move by 5
    problems = compare_claims(two(1.0, 10.0), two(1.2, 16.0))   # x keeps its 5 %; y moved by 6
    assert len(problems) == 2 and "'x'" in problems[0] and "'y'" in problems[1] and "± 5" in problems[1]


def test_a_control_with_a_tolerance_of_its_own_is_compared_with_it():
    committed, fresh = _with_control(_nb(1.0), 0.2), _with_control(_nb(1.0), 0.6)
    assert len(compare_claims(committed, fresh)) == 1  # beyond the claim's 5 %
    for nb in (committed, fresh):
        nb["cells"][0]["outputs"][0]["metadata"]["aebook"]["claims"]["claims"][0]["control"]["tolerance"] = \
            {"rel": 0.0, "abs": 0.5}
    assert compare_claims(committed, fresh) == []


def test_a_verdict_may_flip_only_on_a_borderline_claim():
    assert "neither is borderline" in compare_claims(_nb(1.0), _nb(1.01, verdict="partly"))[0]
    assert compare_claims(_nb(1.0, borderline=True), _nb(1.01, verdict="partly")) == []
    assert compare_claims(_nb(1.0), _nb(1.01, verdict="partly", borderline=True)) == []


def test_missing_and_new_claims_and_figures_fail():
    fresh = _nb(1.0)
    fresh["cells"][0]["outputs"][0]["metadata"]["aebook"]["claims"]["claims"][0]["id"] = "c2"
    problems = compare_claims(_nb(1.0), fresh)
    assert any("'c1'" in p and "did not record" in p for p in problems)
    assert any("'c2'" in p and "not in the committed" in p for p in problems)
    renamed = _nb(1.0)
    renamed["cells"][0]["outputs"][0]["metadata"]["aebook"]["claims"]["claims"][0]["measured"] = {"y": 1.0}
    assert len(compare_claims(_nb(1.0), renamed)) == 2


def _with_control(nb: dict, figure: float | None, kind: str = "claim") -> dict:
    claim = nb["cells"][0]["outputs"][0]["metadata"]["aebook"]["claims"]["claims"][0]
    claim["control"] = None if figure is None else {"label": "untrained", "measured": {"x": figure},
                                                     "verdict": "not reproduced"}
    claim["kind"] = kind
    return nb


def test_control_figures_are_compared_within_the_claims_tolerance():
    assert compare_claims(_with_control(_nb(1.0), 0.2), _with_control(_nb(1.0), 0.205)) == []
    problems = compare_claims(_with_control(_nb(1.0), 0.2), _with_control(_nb(1.0), 0.3))
    assert len(problems) == 1 and "control figure 'x'" in problems[0] and "now 0.3" in problems[0]
    assert "control is new" in compare_claims(_nb(1.0), _with_control(_nb(1.0), 0.2))[0]
    assert "control is gone" in compare_claims(_with_control(_nb(1.0), 0.2), _with_control(_nb(1.0), None))[0]
    assert "kind" in compare_claims(_nb(1.0), _with_control(_nb(1.0), None, kind="check"))[0]


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
                record["claims"][0]["measured"]["product"] = 6.0
                record["claims"][0]["verdict"] = "reproduced"
    bad = tmp_path / "sub" / "01-tiny.ipynb"
    bad.parent.mkdir()
    bad.write_text(json.dumps(moved))
    proc = _check(bad, tmp_path)
    assert proc.returncode == 1
    assert "'product' committed 6, now 4.5" in proc.stdout and "01-tiny.ipynb" in proc.stdout


def _set_fail(nb: dict) -> dict:
    cell = nb["cells"][1]
    src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    cell["source"] = src.replace("fail = False", "fail = True")
    return nb


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
