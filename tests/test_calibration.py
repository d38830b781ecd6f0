"""Robustness as data: runs on other float paths and seeds recorded per notebook, rows whose verdict moves between
runs named fragile, and the Robustness page and scoreboard computed from the records."""

from __future__ import annotations

import json

import pytest

from aebook.book.calibration import add_run, all_runs, fragile_ids, load_runs, robustness_markdown, robustness_rows
from aebook.book.report import scoreboard
from aebook.claims import AtLeast, Claim, ClaimsTable


def _table(x: float, y: float = 2.0) -> ClaimsTable:
    t = ClaimsTable("toy", "01-a")
    t.add(Claim("steady", "holds everywhere", {"y": y}, AtLeast("y", 1.0)))
    t.add(Claim("moving", "holds once", {"x": x}, AtLeast("x", 1.0, partly=0.5)))
    return t


@pytest.fixture
def book(tmp_path, toy_book):
    claims = {"output_type": "display_data", "data": {"text/plain": "…"},
              "metadata": {"aebook": {"claims": _table(1.5).to_dict()}}}
    cells = [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "outputs": [], "execution_count": None,
              "source": "seed = 0\n"},
             {"cell_type": "code", "source": "", "metadata": {}, "outputs": [claims], "execution_count": 1}]
    (tmp_path / "chapters/toy/01-a.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                                                  "nbformat_minor": 5}))
    return tmp_path


def _tables(x: float, y: float = 2.0) -> list[dict]:
    return [_table(x, y).to_dict()]


def test_a_run_is_kept_per_float_path_and_seed_and_replaced_by_a_newer_one(book):
    chapter = book / "chapters/toy"
    add_run(chapter, _tables(1.2), "avx2-2threads", 1, "test")
    add_run(chapter, _tables(0.7), "native-1thread", 2, "test")
    add_run(chapter, _tables(1.3), "avx2-2threads", 1, "test, again")
    runs = load_runs(chapter, "01-a")
    assert [(r["float_path"], r["seed"], r["source"]) for r in runs] == [
        ("avx2-2threads", 1, "test, again"), ("native-1thread", 2, "test")]
    assert [r["float_path"] for r in all_runs(chapter / "01-a.ipynb")][0] == "reference (committed)"


def test_a_row_whose_verdict_moves_between_runs_is_fragile_and_counted_apart(book):
    nb, chapter = book / "chapters/toy/01-a.ipynb", book / "chapters/toy"
    add_run(chapter, _tables(1.2), "avx2-2threads", 0, "test")
    assert fragile_ids(nb) == set() and scoreboard(book)[0]["fragile"] == 0
    add_run(chapter, _tables(0.7), "native-1thread", 1, "test")  # 'moving' drops to partly
    assert fragile_ids(nb) == {"moving"} and scoreboard(book)[0]["fragile"] == 1
    text = robustness_markdown(book)
    assert text.startswith("2 rows with recorded runs") and "for 1 (*fragile*)" in text
    row = next(line for line in text.splitlines() if "`moving`" in line)
    assert "✅ ✅ 🟡" in row and "**yes**" in row and "x: 1.5 / 1.2 / 0.7" in row and "| 0.8 |" in row


def test_recorded_runs_are_judged_again_by_the_rule_the_committed_notebook_has_now(book):
    """A run recorded under an older rule keeps only its figures' meaning: its old verdict is not compared."""
    nb, chapter = book / "chapters/toy/01-a.ipynb", book / "chapters/toy"
    old = _tables(0.7)
    old[0]["claims"][1]["verdict"] = "reproduced"       # what an older, laxer rule said of x = 0.7
    add_run(chapter, old, "avx2-2threads", 0, "test")
    assert fragile_ids(nb) == {"moving"}                   # the committed rule gives partly for 0.7
    no_figure = _tables(1.5)
    no_figure[0]["claims"][1]["measured"] = {"z": 1.0}     # recorded before the row read x
    add_run(chapter, no_figure, "avx2-2threads", 0, "test")
    assert fragile_ids(nb) == set()
    row = next(line for line in robustness_markdown(book).splitlines() if "`moving`" in line)
    assert "✅ —" in row


def test_a_run_whose_control_was_another_control_is_not_judged_again(book):
    """The same figure name on a control with another label measures something else: that run shows —."""
    from aebook.claims import Control

    nb, chapter = book / "chapters/toy/01-a.ipynb", book / "chapters/toy"
    other = ClaimsTable("toy", "01-a")
    other.add(Claim("steady", "holds everywhere", {"y": 2.0}, AtLeast("y", 1.0),
                    control=Control("another network", {"y": 5.0})))
    add_run(chapter, [other.to_dict()], "avx2-2threads", 0, "test")
    row = next(r for r in robustness_rows(all_runs(nb)) if r["id"] == "steady")
    assert row["verdicts"] == ["reproduced", None] and not row["fragile"]


def test_a_book_without_recorded_runs_says_so_and_a_run_without_claims_is_refused(book):
    assert robustness_markdown(book).startswith("No notebook has recorded calibration runs")
    with pytest.raises(ValueError, match="no claims"):
        add_run(book / "chapters/toy", [], "reference", 0, "test")


def test_a_calibration_run_uses_the_path_a_seed_and_a_weight_cache_of_its_own(book, monkeypatch, tmp_path):
    import shutil
    import subprocess
    from types import SimpleNamespace

    from aebook.book import calibration

    nb = book / "chapters/toy/01-a.ipynb"
    seen = {}

    def fake_run(command, env):
        seen.update(command=command, env=env)
        out = tmp_path / "runs" / "avx2-1thread" / "seed-3" / "toy"
        out.mkdir(parents=True)
        shutil.copy(nb, out / "01-a.ipynb")  # stands in for the executed notebook
        return SimpleNamespace(returncode=0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    record = calibration.run_notebook(nb, "avx2-1thread", 3, out=tmp_path / "runs")
    assert seen["command"][-3:] == ["--param", "seed=3", "--force"] and str(nb) in seen["command"]
    assert seen["env"]["ATEN_CPU_CAPABILITY"] == "avx2" and seen["env"]["AEBOOK_TRAIN_THREADS"] == "1"
    assert seen["env"]["AEBOOK_CACHE_DIR"].endswith("avx2-1thread/seed-3/weights")
    assert [(r["float_path"], r["seed"]) for r in load_runs(record.parent.parent, "01-a")] == [("avx2-1thread", 3)]
