import json

import pytest

from aebook.claims import NOT_REPRODUCED, PARTLY, REPRODUCED, AllOf, AtLeast, AtMost, Claim, ClaimsTable, Within


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
    assert data["counts"] == {REPRODUCED: 1, PARTLY: 0, NOT_REPRODUCED: 1}
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
