"""The notebook check on the reference float path: the same verdicts and every figure to 1e-6 relative, however far
the recorded runs spread; the check refuses to run off that path and says why."""

from __future__ import annotations

import math

from aebook.book.floatpath import PATHS
from aebook.book.nbcheck import compare_claims_exact, reference_path_problem


def _nb(figure: float, verdict: str = "reproduced", control: float | None = None) -> dict:
    claim = {"id": "c1", "measured": {"x": figure}, "verdict": verdict}
    if control is not None:
        claim["control"] = {"label": "untrained", "measured": {"x": control}, "verdict": "not reproduced"}
    out = {"output_type": "display_data", "data": {}, "metadata": {"aebook": {"claims": {
        "notebook": "01-t", "claims": [claim]}}}}
    return {"cells": [{"cell_type": "code", "source": "", "outputs": [out]}]}


def test_figures_agreeing_to_a_millionth_pass():
    assert compare_claims_exact(_nb(0.612, control=0.2), _nb(0.612 * (1 + 4e-7), control=0.2)) == []
    assert compare_claims_exact(_nb(math.nan), _nb(math.nan)) == []


def test_a_figure_moved_beyond_a_millionth_fails_with_both_values():
    problems = compare_claims_exact(_nb(0.612), _nb(0.682))
    assert len(problems) == 1 and "'x'" in problems[0] and "0.612" in problems[0] and "0.682" in problems[0]


def test_a_moved_control_figure_fails():
    problems = compare_claims_exact(_nb(1.0, control=0.2), _nb(1.0, control=0.2001))
    assert len(problems) == 1 and "control figure" in problems[0]


def test_a_flipped_verdict_fails_even_with_equal_figures():
    problems = compare_claims_exact(_nb(1.0), _nb(1.0, verdict="partly"))
    assert problems == ["claim 'c1': verdict committed 'reproduced', now 'partly'"]


def test_missing_new_and_renamed_figures_fail():
    fresh = _nb(1.0)
    fresh["cells"][0]["outputs"][0]["metadata"]["aebook"]["claims"]["claims"][0]["measured"] = {"y": 1.0}
    problems = compare_claims_exact(_nb(1.0), fresh)
    assert len(problems) == 2 and any("'x'" in p and "no longer" in p for p in problems)


def test_the_reference_path_is_recognised_and_anything_else_is_named():
    assert reference_path_problem(dict(PATHS["reference"]), "x86_64") is None
    wrong = {**PATHS["reference"], "MKL_CBWR": "AUTO"}
    assert "MKL_CBWR='AUTO'" in reference_path_problem(wrong, "x86_64")
    assert "x86-64" in reference_path_problem(dict(PATHS["reference"]), "aarch64")


def test_the_plugin_in_exact_mode_passes_on_the_reference_path_and_refuses_to_run_off_it(tmp_path):
    import json
    import os
    import platform
    import subprocess
    import sys
    from pathlib import Path

    import pytest

    from aebook.book.floatpath import path_environment
    from aebook.book.nbcheck import execute_notebook

    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("the reference float path is defined for x86-64 CPUs")
    tiny = Path(__file__).resolve().parent / "fixtures" / "tinychapter" / "01-tiny.ipynb"
    committed = tmp_path / "01-tiny.ipynb"
    committed.write_text(json.dumps(execute_notebook(tiny, timeout=120)))
    cmd = [sys.executable, "-m", "pytest", "-p", "aebook.book.nbcheck", "--claims-check", "--claims-check-exact",
           "-p", "no:cacheprovider", "--claims-check-out", str(tmp_path / "out"), str(committed), "-q"]
    on = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                        env=path_environment("reference"))
    assert on.returncode == 0, on.stdout[-2000:]
    off = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={k: v for k, v in os.environ.items() if k != "MKL_CBWR"})
    assert off.returncode == 1 and "reference float path is not set" in off.stdout
