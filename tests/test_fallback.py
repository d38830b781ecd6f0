"""The notebook check's fallback off the reference path: it fails on structure and on settled rows whose verdict
changed, reports the rest, and fails no recorded run when each is checked against the others."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from aebook.book.calibration import all_runs, leave_one_out_report
from aebook.book.fallback import (BAND_FLOOR_REL, BAND_SCALE, band, claims_by_id, compare, leave_one_out,
                                  settled_verdict)
from aebook.claims import AtLeast, Claim, ClaimsTable, Control

ROOT = Path(__file__).resolve().parents[1]


def _claim(x: float, control: float = 0.1, extra: dict | None = None) -> dict:
    t = ClaimsTable("toy", "01-t")
    t.add(Claim("c1", "t", {"x": x, **(extra or {})}, AtLeast("x", 1.0, partly=0.5),
                control=Control("untrained", {"x": control})))
    return t.to_dict()["claims"][0]


def _runs(*xs: float) -> list[dict]:
    return [{"c1": _claim(x)} for x in xs]


def test_the_band_is_the_range_widened_by_its_width_and_a_floor():
    lo, hi = band([1.0, 1.2])
    assert (lo, hi) == pytest.approx((1.0 - BAND_SCALE * 0.2, 1.2 + BAND_SCALE * 0.2))
    lo, hi = band([2.0, 2.0, float("nan")])                # no spread recorded: the floor
    assert (lo, hi) == (2.0 * (1 - BAND_FLOOR_REL), 2.0 * (1 + BAND_FLOOR_REL))
    assert band([float("nan")]) is None


def test_a_row_is_settled_only_when_its_runs_agree_with_room_to_spare():
    assert settled_verdict(_claim(3.0), [r["c1"] for r in _runs(3.0, 3.2)]) == "reproduced"
    assert settled_verdict(_claim(1.2), [r["c1"] for r in _runs(1.2, 1.25)]) is None    # the band crosses 1.0
    assert settled_verdict(_claim(3.0), [r["c1"] for r in _runs(3.0, 0.7)]) is None     # the runs disagree


def test_a_settled_row_that_turns_into_its_opposite_fails_and_other_moves_are_reported():
    runs = _runs(3.0, 3.2, 2.9)
    ok = compare(runs[0], {"c1": _claim(3.1)}, runs)
    assert ok.problems == [] and ok.notes == [] and ok.settled == 1
    moved = compare(runs[0], {"c1": _claim(0.3)}, runs)                     # the opposite verdict
    assert moved.problems == ["claim 'c1': verdict 'not reproduced', where every recorded run gives 'reproduced' "
                              "with room to spare (a settled row)"]
    assert any("figure 'x' is 0.3, outside the band" in n for n in moved.notes)
    step = compare(runs[0], {"c1": _claim(0.7)}, runs)                      # one step, to partly: reported
    assert step.problems == [] and any("figure 'x' is 0.7" in n for n in step.notes)
    near = _runs(1.1, 1.15)
    unsettled = compare(near[0], {"c1": _claim(0.95)}, near)
    assert unsettled.problems == [] and unsettled.settled == 0
    assert any("which no recorded run gave" in n for n in unsettled.notes)


def test_a_figure_outside_its_band_is_reported_not_failed():
    runs = _runs(3.0, 3.1)
    result = compare(runs[0], {"c1": _claim(30.0)}, runs)                   # still reproduced
    assert result.problems == [] and any("outside the band" in n for n in result.notes)


def test_missing_and_new_claims_and_figures_fail():
    runs = _runs(3.0)
    renamed = {"c2": _claim(3.0)}
    problems = compare(runs[0], renamed, runs).problems
    assert any("'c1'" in p and "did not record" in p for p in problems)
    assert any("'c2'" in p and "not in the committed" in p for p in problems)
    problems = compare(runs[0], {"c1": _claim(3.0, extra={"y": 1.0})}, runs).problems
    assert problems == ["claim 'c1': figure 'y' is new (not in the committed outputs)"]


def test_leave_one_out_counts_a_false_failure_where_one_run_leaves_a_settled_row():
    tables = lambda x: [{"claims": [_claim(x)]}]  # noqa: E731
    runs = [{"float_path": "p", "seed": i, "tables": tables(x)} for i, x in enumerate((3.0, 3.1, 2.9, 3.0))]
    failures, counts = leave_one_out({"toy": runs})
    assert failures == [] and counts == {"runs": 4, "rows": 4, "settled": 4}
    runs.append({"float_path": "q", "seed": 9, "tables": tables(0.7)})        # partly: one step, reported
    assert leave_one_out({"toy": runs})[0] == []
    runs[-1] = {"float_path": "q", "seed": 9, "tables": tables(0.3)}          # the opposite: a run the others fail
    failures, _ = leave_one_out({"toy": runs})
    assert [f.run for f in failures] == ["q, seed 9"]


def test_leave_one_out_fails_a_run_trained_otherwise_but_not_one_at_another_seed():
    recipe = lambda steps, seed: {"model": "Linear", "architecture": "a", "parameters": 20, "data": [64, 4],  # noqa: E731
                                  "config": {"steps": steps, "seed": seed}, "settings": {}}
    tables = lambda steps, seed: [{"claims": [_claim(3.0)], "training": [recipe(steps, seed)]}]  # noqa: E731
    runs = [{"float_path": "reference", "seed": 0, "tables": tables(100, 0)},
            {"float_path": "p", "seed": 1, "tables": tables(100, 1)},     # another seed on purpose: not a change
            {"float_path": "p", "seed": 2, "tables": [{"claims": [_claim(3.0)]}]}]  # recorded before the record
    assert leave_one_out({"toy": runs})[0] == []
    runs.append({"float_path": "q", "seed": 0, "tables": tables(50, 0)})
    [failure] = leave_one_out({"toy": runs})[0]
    assert failure.run == "q, seed 0"
    assert failure.problems == ["training run 1 (Linear): config.steps 50 (committed 100)"]


def test_no_recorded_run_of_the_book_fails_against_the_others():
    notebooks = sorted(ROOT.glob("chapters/*/[0-9]*.ipynb"))
    false, report = leave_one_out_report(notebooks)
    assert false == 0, report
    assert "false failures: 0" in report


def test_a_mutated_run_fails_where_the_records_settle_its_rows():
    """A change of code that moves every figure of disks/01 (none of its rows is settled) to half its committed
    value fails by the share of figures outside their bands; the committed run itself passes."""
    notebook = ROOT / "chapters" / "disks" / "01-encoding-disks.ipynb"
    runs = [claims_by_id(r["tables"]) for r in all_runs(notebook)]
    assert compare(runs[0], runs[0], runs).problems == []
    mutated = copy.deepcopy(runs[0])
    for claim in mutated.values():
        claim["measured"] = {k: v * 0.5 for k, v in claim["measured"].items()}
    result = compare(runs[0], mutated, runs)
    assert result.problems == [f"{result.outside} of {result.banded} figures lie outside their bands (more than 33%; "
                               "the figures are in the notes)"], result.notes


def test_check_passes_the_committed_notebook_as_a_run_of_itself_and_fails_a_changed_one(tmp_path):
    import json

    from aebook.book.calibration import check_report

    notebook = ROOT / "chapters" / "disks" / "01-encoding-disks.ipynb"
    passed, report = check_report(notebook, notebook)
    assert passed and "0 of" in report
    nb = json.loads(notebook.read_text())
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            table = out.get("metadata", {}).get("aebook", {}).get("claims")
            for claim in (table or {}).get("claims", []):
                claim["measured"]["a figure the code now adds"] = 1.0
    changed = tmp_path / notebook.name
    changed.write_text(json.dumps(nb))
    passed, report = check_report(changed, notebook)
    assert not passed and "FAIL claim" in report and "is new" in report
