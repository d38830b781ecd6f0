"""The committed notebooks' claims rows keep the book's promises: every row has a control figure or says why it has
none, and its verdict is what its rule gives on our figures and on the control's."""

from __future__ import annotations

from pathlib import Path

import pytest

from aebook.book.records import notebook_claims
from aebook.claims import CLAIM_VERDICTS, KINDS, NOT_JUDGED, VERDICTS, rejudge, verdict_with_control

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*/[0-9]*.ipynb"))


def _rows(path: Path) -> list[dict]:
    return [c for table in notebook_claims(path) for c in table["claims"]]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_row_has_a_control_or_a_reason_and_a_consistent_verdict(path):
    rows = _rows(path)
    assert rows, f"{path.name} shows no claims table"
    for row in rows:
        where = f"{path.parent.name}/{path.name} claim {row['id']!r}"
        assert row.get("kind") in KINDS, f"{where}: no kind (re-execute the notebook)"
        assert row.get("control") or row.get("no_control", "").strip(), f"{where}: no control and no reason"
        assert row["verdict"] in CLAIM_VERDICTS and row["rule_verdict"] in VERDICTS, where
        control = row.get("control")
        expected = verdict_with_control(row["rule_verdict"], control["verdict"] if control else None)
        if not all(p["holds"] for p in row.get("preconditions", [])):
            expected = NOT_JUDGED
        assert row["verdict"] == expected, f"{where}: verdict {row['verdict']!r}, its rule and control give {expected!r}"
        assert "rule_spec" in row, f"{where}: the rule is not kept as data (re-execute the notebook: make outputs)"
        assert rejudge(row, row) == row["verdict"], f"{where}: the rule kept as data judges differently"


CALIBRATED = sorted(p for p in (ROOT / "chapters").glob("*/calibration/*.json"))


def test_every_committed_notebook_has_a_calibration_record_of_six_runs_at_least():
    """Robustness is measured, not assumed: every notebook is rerun on several float paths and training seeds."""
    import json

    recorded = {(p.parent.parent.name, p.stem): p for p in CALIBRATED}
    assert {(nb.parent.name, nb.stem) for nb in NOTEBOOKS} <= recorded.keys()
    for (chapter, stem), path in recorded.items():
        runs = {(r["float_path"], r["seed"]) for r in json.loads(path.read_text())["runs"]}
        assert len(runs) >= 6, f"{chapter}/{stem}: {len(runs)} distinct recorded runs, six needed"


@pytest.mark.parametrize("record", CALIBRATED, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_a_calibration_record_belongs_to_a_notebook_and_names_each_run(record):
    """Each recorded run is of a committed notebook's claims, and says on which float path, at which seed and from
    where it came (the Robustness page and the scoreboard's fragile rows are computed from these)."""
    import json

    from aebook.book.floatpath import PATHS, RECORDED_ONLY

    notebook = record.parent.parent / f"{record.stem}.ipynb"
    assert notebook.exists(), f"{record} records runs of {notebook.name}, which is not a committed notebook"
    committed = {c["id"] for c in _rows(notebook)}
    for run in json.loads(record.read_text())["runs"]:
        where = f"{record.parent.parent.name}/{record.stem} on {run['float_path']} at seed {run['seed']}"
        assert (run["float_path"] in PATHS or run["float_path"] in RECORDED_ONLY) and run["source"].strip() and isinstance(run["seed"], int), where
        ids = {c["id"] for t in run["tables"] for c in t["claims"]}
        assert ids & committed, f"{where}: none of its claims is in the committed notebook"
