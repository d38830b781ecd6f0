import json

import pytest

from aebook.claims import (
    BEYOND, CHECK, CLAIM, NOT_JUDGED, NOT_REPRODUCED, PARTLY, REPRODUCED, UNINFORMATIVE, AllOf, AnyOf, AtLeast, AtMost,
    Claim, ClaimsTable, Control, Precondition, Within, rejudge, rule_from_spec,
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
    either = AnyOf((AtLeast("a", 1), AtLeast("b", 1, partly=0)))
    assert either.verdict({"a": 0, "b": 0.5}) == PARTLY
    assert either.verdict({"a": 2, "b": -1}) == REPRODUCED
    assert either.verdict({"a": 0, "b": -1}) == NOT_REPRODUCED
    assert " or " in either.describe()


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
    assert data["counts"] == {REPRODUCED: 1, PARTLY: 0, NOT_REPRODUCED: 1, UNINFORMATIVE: 0, NOT_JUDGED: 0}
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
    assert record["control"] == {"label": "untrained network", "measured": {"x": 0.95}, "verdict": REPRODUCED}


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
    assert table.counts() == {REPRODUCED: 1, PARTLY: 0, NOT_REPRODUCED: 1, UNINFORMATIVE: 0, NOT_JUDGED: 0}
    assert table.kind_counts() == {CLAIM: 2, CHECK: 2, BEYOND: 1, "without control": 1}
    md = table.to_markdown()
    assert "✔ check holds" in md and "❌ check fails" in md and "none: holds by construction" in md
    assert "ours (beyond the paper)" in md and "| none yet |" in md
    assert table._repr_html_().count("aebook-kind-check") == 2




# --- preconditions: "not judged at this profile" -------------------------------------------------------------------

CAP = Precondition("the weight-length cap binds", AtLeast("binding share", 0.1))


def test_a_failed_precondition_makes_the_row_not_judged_whatever_the_rule_says():
    rule = AtLeast("gap", 1.0)
    for gap in (5.0, 0.0):  # a pass and a failure of the rule alike
        row = Claim("wl", "t", {"gap": gap, "binding share": 0.02}, rule, preconditions=(CAP,),
                    control=Control("no cap", {"gap": 0.0, "binding share": 0.0}))
        assert row.verdict == NOT_JUDGED and row.failed_preconditions == [CAP]
        assert row.rule_verdict == (REPRODUCED if gap else NOT_REPRODUCED)  # the same rule, kept for the other profile
        assert row.verdict_text() == ("➖ not judged at this profile; not met: the weight-length cap binds "
                                      "(binding share ≥ 0.1; measured: binding share = 0.02)")
    record = row.to_dict()
    assert record["verdict"] == NOT_JUDGED
    assert record["preconditions"] == [{"what": "the weight-length cap binds", "rule": "binding share ≥ 0.1",
                                        "rule_spec": {"rule": "AtLeast", "key": "binding share", "reproduced": 0.1,
                                                      "partly": None}, "holds": False}]


def test_a_precondition_that_holds_leaves_the_rule_and_control_to_judge():
    rule = AtLeast("gap", 1.0)
    row = Claim("wl", "t", {"gap": 5.0, "binding share": 0.5}, rule, preconditions=(CAP,),
                control=Control("no cap", {"gap": 0.0}))
    assert row.verdict == REPRODUCED and row.failed_preconditions == []
    table = ClaimsTable("c", "01-x")
    table.add(row)
    table.add(Claim("no-hole", "t", {"gap": 5.0, "binding share": 0.0}, rule, preconditions=(CAP,), no_control="toy"))
    assert "judged only if the weight-length cap binds (binding share ≥ 0.1)" in table.to_markdown()
    assert table.counts()[NOT_JUDGED] == 1 and table.counts()[REPRODUCED] == 1


def test_a_precondition_is_checked_when_the_claim_is_made():
    with pytest.raises(KeyError, match="binding share"):
        Claim("wl", "t", {"gap": 5.0}, AtLeast("gap", 1.0), preconditions=(CAP,))
    with pytest.raises(TypeError, match="Precondition"):
        Claim("wl", "t", {"gap": 5.0}, AtLeast("gap", 1.0), preconditions=(AtLeast("gap", 1.0),))
    with pytest.raises(ValueError, match="words"):
        Precondition(" ", AtLeast("gap", 1.0))


@pytest.mark.parametrize("rule", [AtLeast("x", 0.9, partly=0.7), AtMost("x", 0.1), Within("x", (1, 2), partly=(0, 3)),
                                  AllOf((AtLeast("x", 1.0), AtMost("y", 2.0, partly=3.0))),
                                  AnyOf((AtLeast("x", 1.0), Within("y", (0, 1))))])
def test_a_rule_kept_as_data_is_the_same_rule(rule):
    again = rule_from_spec(json.loads(json.dumps(rule.to_spec())))
    assert again == rule and again.describe() == rule.describe()
    with pytest.raises(ValueError, match="not a rule"):
        rule_from_spec({"rule": "Sometimes"})


def test_another_runs_figures_are_judged_again_by_the_committed_rule():
    committed = Claim("wl", "t", {"gap": 5.0, "binding share": 0.5}, AtLeast("gap", 1.0), preconditions=(CAP,),
                      control=Control("no cap", {"gap": 0.0})).to_dict()
    old_run = {"measured": {"gap": 0.5, "binding share": 0.5}, "verdict": "whatever it said then",
               "control": {"measured": {"gap": 0.0}}}
    assert rejudge(committed, old_run) == NOT_REPRODUCED
    assert rejudge(committed, {**old_run, "measured": {"gap": 5.0, "binding share": 0.0}}) == NOT_JUDGED
    assert rejudge(committed, {**old_run, "control": {"measured": {"gap": 3.0}},
                               "measured": {"gap": 5.0, "binding share": 0.9}}) == UNINFORMATIVE
    assert rejudge(committed, {**old_run, "measured": {"gap": 5.0}}) is None  # recorded before the precondition
    assert rejudge({k: v for k, v in committed.items() if k != "rule_spec"}, old_run) is None
