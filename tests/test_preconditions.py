"""No precondition in the book can hide a failure: for every committed row with preconditions, figures that meet
every precondition and fail the rule read "not reproduced", never "not judged at this profile". A precondition that
reads only figures the rule reads (how the claim comes out, not whether the model can exercise it) fails here."""

import glob
from pathlib import Path

import pytest

from aebook.book.records import notebook_claims
from aebook.claims import AllOf, AnyOf, AtLeast, AtMost, Rule, Within, rejudge, rule_from_spec

ROOT = Path(__file__).resolve().parents[1]


def _leaves(rule: Rule) -> list[Rule]:
    return [leaf for r in rule.rules for leaf in _leaves(r)] if isinstance(rule, (AllOf, AnyOf)) else [rule]


def _margin(bound: float) -> float:
    return max(1.0, abs(bound))


def _meeting(leaf: Rule) -> float:
    """A value of the leaf's figure that the leaf reads as reproduced."""
    if isinstance(leaf, AtLeast):
        return leaf.reproduced + _margin(leaf.reproduced)
    if isinstance(leaf, AtMost):
        return leaf.reproduced - _margin(leaf.reproduced)
    if isinstance(leaf, Within):
        return sum(leaf.reproduced) / 2
    raise TypeError(leaf)


def _failing(leaf: Rule) -> float:
    """A value of the leaf's figure that the leaf reads as not reproduced (below partly too)."""
    if isinstance(leaf, AtLeast):
        low = min(leaf.reproduced, leaf.partly if leaf.partly is not None else leaf.reproduced)
        return low - _margin(low)
    if isinstance(leaf, AtMost):
        high = max(leaf.reproduced, leaf.partly if leaf.partly is not None else leaf.reproduced)
        return high + _margin(high)
    if isinstance(leaf, Within):
        high = max(leaf.reproduced[1], leaf.partly[1] if leaf.partly is not None else leaf.reproduced[1])
        return high + _margin(high)
    raise TypeError(leaf)


def failure_under_met_preconditions(claim: dict) -> dict[str, float] | None:
    """The claim's figures moved so that every precondition holds and the rule fails; None when no such figures
    exist (every figure the rule could fail on is one a precondition fixes)."""
    measured = dict(claim["measured"])
    fixed = set()
    for pre in claim["preconditions"]:
        for leaf in _leaves(rule_from_spec(pre["rule_spec"])):
            measured[leaf.key] = _meeting(leaf)
            fixed.add(leaf.key)
    free = [leaf for leaf in _leaves(rule_from_spec(claim["rule_spec"])) if leaf.key not in fixed]
    if not free:
        return None
    for leaf in free:
        measured[leaf.key] = _failing(leaf)
    return measured


def _rows_with_preconditions() -> list[tuple[str, dict]]:
    rows = []
    for notebook in sorted(glob.glob(str(ROOT / "chapters/*/[0-9]*.ipynb"))):
        for table in notebook_claims(notebook):
            rows += [(f"{Path(notebook).parent.name}/{Path(notebook).stem}::{c['id']}", c)
                     for c in table["claims"] if c.get("preconditions")]
    return rows


ROWS = _rows_with_preconditions()


def test_the_book_has_rows_with_preconditions_to_check():
    assert len(ROWS) >= 15


@pytest.mark.parametrize("name, claim", ROWS, ids=[name for name, _ in ROWS])
def test_a_failure_under_met_preconditions_reads_not_reproduced(name, claim):
    measured = failure_under_met_preconditions(claim)
    assert measured is not None, f"{name}: its preconditions fix every figure the rule reads"
    assert rejudge(claim, {"measured": measured, "control": claim.get("control")}) == "not reproduced", name


def test_the_construction_catches_a_precondition_on_the_claims_own_figure():
    hiding = {"measured": {"x": 0.1}, "rule_spec": AtLeast("x", 1.0).to_spec(),
              "preconditions": [{"what": "x is large", "rule_spec": AtLeast("x", 1.0).to_spec()}]}
    assert failure_under_met_preconditions(hiding) is None
    honest = {**hiding, "measured": {"x": 0.1, "quality": 0.9},
              "preconditions": [{"what": "works", "rule_spec": AtLeast("quality", 0.85).to_spec()}]}
    moved = failure_under_met_preconditions(honest)
    assert rejudge(honest, {"measured": moved}) == "not reproduced"
