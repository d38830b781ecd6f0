"""The notebook check off the reference float path compares claims with the ranges the recorded runs give: it
passes a rerun inside them, and fails, naming the notebook, claim and figures, when a figure leaves its recorded
range (widened by half its width) or a verdict is one no recorded run gave."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

from aebook.book.nbcheck import compare_claims_recorded, execute_notebook, recorded_ranges
from aebook.claims import AtLeast, Claim, ClaimsTable, Control

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tinychapter" / "01-tiny.ipynb"


def _table(x: float, control: float | None = 0.1, extra: dict | None = None) -> dict:
    t = ClaimsTable("toy", "01-t")
    t.add(Claim("c1", "t", {"x": x, **(extra or {})}, AtLeast("x", 1.0, partly=0.5),
                control=Control("untrained", {"x": control}) if control is not None else None,
                no_control="" if control is not None else "toy"))
    return t.to_dict()


def _nb(table: dict) -> dict:
    out = {"output_type": "display_data", "data": {}, "metadata": {"aebook": {"claims": table}}}
    return {"cells": [{"cell_type": "code", "source": "", "outputs": [out]}]}


def _runs(*xs: float, controls: tuple[float, ...] | None = None) -> list[dict]:
    controls = controls or (0.1,) * len(xs)
    return [{"float_path": "p", "seed": i, "source": "test", "tables": [_table(x, c)]}
            for i, (x, c) in enumerate(zip(xs, controls))]


def test_a_figure_inside_its_recorded_range_widened_by_half_passes_and_outside_fails():
    ranges = recorded_ranges(_runs(1.2, 1.4, 1.3))          # 1.2 to 1.4, widened to 1.1 … 1.5
    assert ranges["c1"]["figures"]["x"] == ((1.2, 1.4), False) and ranges["c1"]["verdicts"] == {"reproduced"}
    committed = _nb(_table(1.2))
    assert compare_claims_recorded(committed, _nb(_table(1.49)), ranges) == []
    problems = compare_claims_recorded(committed, _nb(_table(1.6)), ranges)
    assert problems == ["claim 'c1': figure 'x' is 1.6, the recorded runs gave 1.2 to 1.4"]


def test_a_verdict_no_recorded_run_gave_fails_and_one_a_run_gave_passes():
    ranges = recorded_ranges(_runs(1.2, 0.9))                 # reproduced and partly both recorded
    assert ranges["c1"]["verdicts"] == {"reproduced", "partly"}
    assert compare_claims_recorded(_nb(_table(1.2)), _nb(_table(0.95)), ranges) == []
    steady = recorded_ranges(_runs(1.2, 1.2))
    problems = compare_claims_recorded(_nb(_table(1.2)), _nb(_table(1.2, control=3.0)), steady)
    assert any("control figure 'x' is 3" in p for p in problems)
    assert any("verdict 'uninformative'" in p for p in problems)


def test_a_single_recorded_run_leaves_a_millionth_of_room():
    ranges = recorded_ranges(_runs(1.2))
    assert compare_claims_recorded(_nb(_table(1.2)), _nb(_table(1.2 * (1 + 5e-7))), ranges) == []
    assert len(compare_claims_recorded(_nb(_table(1.2)), _nb(_table(1.2001)), ranges)) == 1


def test_missing_and_new_claims_and_figures_fail():
    ranges = recorded_ranges(_runs(1.2))
    fresh = _nb(_table(1.2))
    fresh["cells"][0]["outputs"][0]["metadata"]["aebook"]["claims"]["claims"][0]["id"] = "c2"
    problems = compare_claims_recorded(_nb(_table(1.2)), fresh, ranges)
    assert any("'c1'" in p and "did not record" in p for p in problems)
    assert any("'c2'" in p and "not in the committed" in p for p in problems)
    problems = compare_claims_recorded(_nb(_table(1.2)), _nb(_table(1.2, extra={"y": 1.0})), ranges)
    assert problems == ["claim 'c1': figure 'y' is new (not in the committed outputs)"]


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
    assert "figure 'product' is 4.5, the recorded runs gave 6 to 6" in proc.stdout and "01-tiny.ipynb" in proc.stdout


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

