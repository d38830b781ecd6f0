"""The committed notebooks' claims rows keep the book's promises: every row has a control figure or says why it has
none, and its verdict is what its rule gives on our figures and on the control's."""

from __future__ import annotations

from pathlib import Path

import pytest

from aebook.book.report import notebook_claims
from aebook.claims import CLAIM_VERDICTS, KINDS, VERDICTS, verdict_with_control

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
        assert row["verdict"] == expected, f"{where}: verdict {row['verdict']!r}, its rule and control give {expected!r}"


SEED_RUNS = sorted({p.parent.parent / f"{p.name.split('.seed-')[0]}.ipynb"
                    for p in (ROOT / "chapters").glob("*/seeds/*.seed-*.json")})


@pytest.mark.parametrize("path", SEED_RUNS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_tolerances_cover_the_measured_seed_spread(path):
    """A claim re-run at other seeds keeps every figure (ours and the control's) within its committed tolerance,
    so a verdict that moves with the seed shows as borderline, and the check on another machine cannot fail on it."""
    from aebook.book.nbcheck import control_tolerance
    from aebook.book.spread import load_runs
    from aebook.claims import Tolerance

    assert path.exists(), f"seed runs recorded for {path.name}, which is not a committed notebook"
    committed = {c["id"]: c for c in _rows(path)}
    for run in load_runs(path.parent, path.stem):
        for table in run["tables"]:
            for row in table["claims"]:
                where = f"{path.parent.name}/{path.stem} claim {row['id']!r} at seed {run['seed']}"
                assert row["id"] in committed, f"{where}: not in the committed notebook"
                ours = committed[row["id"]]
                tol = Tolerance.from_dict(ours.get("tolerance"))
                pairs = [(ours["measured"], row["measured"], tol)]
                if ours.get("control") and row.get("control"):
                    pairs.append((ours["control"]["measured"], row["control"]["measured"], control_tolerance(ours)))
                for old, new, tol in pairs:
                    for name, value in old.items():
                        value, fresh = float(value), float(new[name])  # NaN is kept as a string in the JSON
                        assert tol.agree(value, fresh, name), (
                            f"{where}: {name!r} {fresh:.4g} against the committed {value:.4g}, beyond its "
                            f"tolerance {tol.of(name).describe()}")
                if row["verdict"] != ours["verdict"]:
                    assert ours["borderline"], f"{where}: the verdict changes with the seed but is not borderline"
