import json

import pytest

from aebook.claims import (
    BEYOND, CHECK, CLAIM, NOT_REPRODUCED, PARTLY, REPRODUCED, UNINFORMATIVE, AllOf, AtLeast, AtMost, Claim, ClaimsTable,
    Control, Within,
)


@pytest.mark.parametrize(
    "value, expected", [(0.95, REPRODUCED), (0.9, REPRODUCED), (0.8, PARTLY), (0.5, NOT_REPRODUCED), (float("nan"), NOT_REPRODUCED)]
)
def test_at_least(value, expected):
    assert AtLeast("x", 0.9, partly=0.7).verdict({"x": value}) == expected


def test_at_most_within_and_all_of():
    assert AtMost("err", 0.01, partly=0.05).verdict({"err": 0.03}) == PARTLY
    assert AtMost("err", 0.01).verdict({"err": 0.03}) == NOT_REPRODUCED
    rule = Within("p", (1.6, 2.4), partly=(1.5, 2.5))
    assert [rule.verdict({"p": v}) for v in (2.0, 1.55, 1.0)] == [REPRODUCED, PARTLY, NOT_REPRODUCED]
    both = AllOf((AtLeast("a", 1), AtLeast("b", 1, partly=0)))
    assert both.verdict({"a": 2, "b": 0.5}) == PARTLY
    assert both.verdict({"a": 0, "b": 2}) == NOT_REPRODUCED
    assert "and" in both.describe()


def test_a_claim_reading_a_figure_it_did_not_measure_fails_early():
    with pytest.raises(KeyError, match="measured only"):
        Claim("c", "text", {"y": 1.0}, AtLeast("x", 1))


def test_table_writes_json_and_markdown(tmp_path):
    table = ClaimsTable("disks", "01-test")
    table.add(Claim("a", "one", {"x": 1.0}, AtLeast("x", 0.5)))
    table.add(Claim("b", "two | pipes", {"x": 0.1}, AtLeast("x", 0.5)))
    with pytest.raises(ValueError, match="already"):
        table.add(Claim("a", "again", {"x": 1.0}, AtLeast("x", 0.5)))
    path = table.write_json(tmp_path)
    data = json.loads(path.read_text())
    assert path.name == "01-test.claims.json"
    assert data["counts"] == {REPRODUCED: 1, PARTLY: 0, NOT_REPRODUCED: 1, UNINFORMATIVE: 0}
    assert [c["verdict"] for c in data["claims"]] == [REPRODUCED, NOT_REPRODUCED]
    md = table.to_markdown()
    assert md.count("\n") == 3 and "two \\| pipes" in md
    assert 'class="aebook-claims"' in table._repr_html_()


def test_the_record_says_what_it_ran_on():
    import torch

    from aebook.claims import AtLeast, Claim, ClaimsTable

    t = ClaimsTable("c", "01-x", profile="quick")
    t.add(Claim("a", "claim", {"v": 1.0}, AtLeast("v", 0.5)))
    env = t.to_dict()["environment"]
    assert env["torch"] == torch.__version__ and env["device"].startswith(("cpu", "NVIDIA")) and env["date"][:2] == "20"


# --- tolerances and borderline claims -------------------------------------------------------------------------------

from aebook.claims import Tolerance  # noqa: E402


def test_tolerance_agrees_relative_and_absolute():
    tol = Tolerance(rel=0.05, abs=1e-6)
    assert tol.agree(100.0, 104.9) and not tol.agree(100.0, 106.0)
    assert tol.agree(0.0, 5e-7) and not tol.agree(0.0, 5e-6)
    assert tol.agree(float("nan"), float("nan")) and not tol.agree(1.0, float("nan"))
    with pytest.raises(ValueError, match="non-negative"):
        Tolerance(rel=-0.1)


@pytest.mark.parametrize("value, borderline", [(0.91, True), (0.96, False), (0.72, True), (0.8, False), (0.3, False)])
def test_a_figure_within_tolerance_of_a_threshold_is_borderline(value, borderline):
    claim = Claim("c", "text", {"x": value}, AtLeast("x", 0.9, partly=0.7), tolerance=Tolerance(rel=0.05))
    assert claim.borderline is borderline
    record = claim.to_dict()
    assert record["borderline"] is borderline
    if borderline:
        assert record["near"][0]["figure"] == "x" and record["near"][0]["threshold"] in (0.9, 0.7)
        assert "(borderline)" in claim.verdict_text()


def test_borderline_follows_the_claims_own_tolerance():
    rule = AtMost("err", 0.1)
    assert not Claim("c", "t", {"err": 0.095}, rule, tolerance=Tolerance(rel=0.01)).borderline
    assert Claim("c", "t", {"err": 0.095}, rule, tolerance=Tolerance(rel=0.10)).borderline


def test_within_and_all_of_borderline():
    tol = Tolerance(rel=0.02)
    rule = Within("p", (1.6, 2.4), partly=(1.5, 2.5))
    assert Claim("c", "t", {"p": 2.39}, rule, tolerance=tol).borderline
    assert not Claim("c", "t", {"p": 2.0}, rule, tolerance=tol).borderline
    assert not Claim("c", "t", {"p": 5.0}, rule, tolerance=tol).borderline
    # b sits on its threshold, but a fails clearly: the weakest part decides, whatever b does.
    both = AllOf((AtLeast("a", 1.0), AtLeast("b", 1.0)))
    assert not Claim("c", "t", {"a": 0.2, "b": 1.0}, both, tolerance=tol).borderline
    assert Claim("c", "t", {"a": 3.0, "b": 1.0}, both, tolerance=tol).borderline


def test_table_marks_and_counts_borderline_claims():
    table = ClaimsTable("disks", "01-test")
    table.add(Claim("near", "one", {"x": 0.502}, AtLeast("x", 0.5)))
    table.add(Claim("far", "two", {"x": 2.0}, AtLeast("x", 0.5)))
    assert table.to_dict()["borderline"] == {REPRODUCED: 1, PARTLY: 0, NOT_REPRODUCED: 0, UNINFORMATIVE: 0}
    html = table._repr_html_()
    assert html.count("aebook-borderline") == 1 and "reproduced (borderline)" in html
    assert "±0.5 %" in table.to_markdown()


def test_a_claim_refuses_a_tolerance_that_is_not_one():
    with pytest.raises(TypeError, match="Tolerance"):
        Claim("c", "t", {"x": 1.0}, AtLeast("x", 0.5), tolerance=0.1)


def test_a_rule_that_passes_on_its_control_is_uninformative():
    rule = AtLeast("x", 0.9, partly=0.5)
    informative = Claim("a", "t", {"x": 1.0}, rule, control=Control("untrained network", {"x": 0.1}))
    assert informative.verdict == REPRODUCED and informative.control_verdict == NOT_REPRODUCED
    blind = Claim("b", "t", {"x": 1.0}, rule, control=Control("untrained network", {"x": 0.95}))
    assert blind.rule_verdict == REPRODUCED and blind.verdict == UNINFORMATIVE
    assert "⚪ uninformative" in blind.verdict_text() and "untrained network: x = 0.95" in blind.control_text()
    # A partly pass on the control matches a partly pass of ours: evidence of nothing; a reproduced one beats it.
    assert Claim("c", "t", {"x": 0.6}, rule, control=Control("shuffled", {"x": 0.55})).verdict == UNINFORMATIVE
    assert Claim("d", "t", {"x": 1.0}, rule, control=Control("shuffled", {"x": 0.55})).verdict == REPRODUCED
    # A failing claim stays a failure whatever its control does.
    assert Claim("e", "t", {"x": 0.1}, rule, control=Control("shuffled", {"x": 0.95})).verdict == NOT_REPRODUCED
    record = blind.to_dict()
    assert record["verdict"] == UNINFORMATIVE and record["rule_verdict"] == REPRODUCED
    assert record["control"] == {"label": "untrained network", "measured": {"x": 0.95}, "verdict": REPRODUCED,
                                 "near": []}


def test_a_control_near_its_threshold_makes_the_claim_borderline():
    rule = AtLeast("x", 0.9)
    near = Claim("a", "t", {"x": 2.0}, rule, control=Control("untrained", {"x": 0.899}))
    assert near.verdict == REPRODUCED and near.borderline
    assert near.possible_verdicts() == {REPRODUCED, UNINFORMATIVE}
    assert not Claim("b", "t", {"x": 2.0}, rule, control=Control("untrained", {"x": 0.1})).borderline


def test_a_control_must_measure_the_rules_figures_and_exclude_a_reason():
    with pytest.raises(KeyError, match="same figures"):
        Claim("a", "t", {"x": 1.0}, AtLeast("x", 0.5), control=Control("untrained", {"y": 1.0}))
    with pytest.raises(ValueError, match="not both"):
        Claim("a", "t", {"x": 1.0}, AtLeast("x", 0.5), control=Control("u", {"x": 0.1}), no_control="none")
    with pytest.raises(ValueError, match="label"):
        Control(" ", {"x": 1.0})
    with pytest.raises(ValueError, match="kind"):
        Claim("a", "t", {"x": 1.0}, AtLeast("x", 0.5), kind="opinion")


def test_checks_and_rows_beyond_the_paper_are_counted_apart():
    table = ClaimsTable("disks", "01-test")
    table.add(Claim("claim", "t", {"x": 1.0}, AtLeast("x", 0.5), control=Control("untrained", {"x": 0.1})))
    table.add(Claim("check", "t", {"x": 1.0}, AtLeast("x", 0.5), kind=CHECK, no_control="holds by construction"))
    table.add(Claim("failed-check", "t", {"x": 0.1}, AtLeast("x", 0.5), kind=CHECK))
    table.add(Claim("ours", "t", {"x": 1.0}, AtLeast("x", 0.5), kind=BEYOND))
    table.add(Claim("bare", "t", {"x": 0.1}, AtLeast("x", 0.5)))
    assert table.counts() == {REPRODUCED: 1, PARTLY: 0, NOT_REPRODUCED: 1, UNINFORMATIVE: 0}
    assert table.kind_counts() == {CLAIM: 2, CHECK: 2, BEYOND: 1, "without control": 1}
    md = table.to_markdown()
    assert "✔ check holds" in md and "❌ check fails" in md and "none: holds by construction" in md
    assert "ours (beyond the paper)" in md and "| none yet |" in md
    assert table._repr_html_().count("aebook-kind-check") == 2


def test_a_figure_may_have_a_tolerance_of_its_own():
    both = AllOf((AtLeast("ratio", 3.0), AtLeast("iou", 0.85)))
    tol = Tolerance(rel=0.005, figures={"ratio": Tolerance(abs=5.0)})
    # the ratio's seed spread reaches its threshold: borderline, and only the ratio is near
    claim = Claim("c", "t", {"ratio": 7.0, "iou": 0.95}, both, tolerance=tol, no_control="toy")
    assert claim.borderline
    assert [n["figure"] for n in claim.to_dict()["near"]] == ["ratio"]
    assert not Claim("c", "t", {"ratio": 9.0, "iou": 0.95}, both, tolerance=tol, no_control="toy").borderline
    assert tol.agree(7.0, 11.5, "ratio") and not tol.agree(0.95, 0.9, "iou")
    record = claim.to_dict()["tolerance"]
    assert record == {"rel": 0.005, "abs": 1e-6, "figures": {"ratio": {"rel": 0.005, "abs": 5.0}}}
    assert Tolerance.from_dict(record) == tol
    assert "ratio ±0.5 % ± 5" in tol.describe()
    with pytest.raises(TypeError, match="plain Tolerance"):
        Tolerance(figures={"ratio": 0.1})


def test_a_control_may_have_a_tolerance_of_its_own():
    from aebook.claims import Control

    rule = AtLeast("gap", 1.0, partly=0.5)
    steady = Tolerance(abs=0.01)
    noisy_control = Control("shuffled labels", {"gap": 0.6}, tolerance=Tolerance(abs=0.5))
    claim = Claim("c", "t", {"gap": 3.0}, rule, tolerance=steady, control=noisy_control)
    assert claim.control_tolerance == Tolerance(abs=0.5)
    # the control's band (0.1 … 1.1) reaches the threshold, where the row would be uninformative; ours (2.99 … 3.01)
    # and the control within the claim's tolerance do not
    assert claim.borderline and claim.possible_verdicts() == {"reproduced", "uninformative"}
    record = claim.to_dict()
    assert record["control"]["tolerance"] == {"rel": 0.005, "abs": 0.5} and record["tolerance"]["abs"] == 0.01
    assert not Claim("c", "t", {"gap": 3.0}, rule, tolerance=steady,
                     control=Control("shuffled labels", {"gap": 0.6})).borderline
    with pytest.raises(TypeError, match="control's tolerance"):
        Control("x", {"gap": 0.2}, tolerance=0.5)
