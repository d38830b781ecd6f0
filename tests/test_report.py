"""The landing page's scoreboard is gathered from the notebooks' claims, at both profiles."""

import json

from aebook.claims import AtLeast, Claim, ClaimsTable
from aebook.book.records import notebook_claims
from aebook.book.report import scoreboard, scoreboard_markdown, write_scoreboard


def notebook_with(tables, path):
    outputs = [{"output_type": "display_data", "data": {"text/plain": "…"},
                "metadata": {"aebook": {"claims": t.to_dict()}}} for t in tables]
    nb = {"cells": [{"cell_type": "code", "source": "", "metadata": {}, "outputs": outputs, "execution_count": 1}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))


def table(*values, profile="quick"):
    t = ClaimsTable("toy", "01-a", profile=profile)
    for i, v in enumerate(values):
        t.add(Claim(f"c{i}", "a claim", {"x": v}, AtLeast("x", 1.0, partly=0.5)))
    return t


def test_scoreboard_counts_each_chapter_at_each_profile(tmp_path):
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: Papers\n    chapters:\n"
        "      - file: chapters/toy/index\n        sections:\n          - file: chapters/toy/01-a\n"
        "          - file: chapters/toy/02-b\n  - caption: Back\n    chapters:\n      - file: book/references\n")
    (tmp_path / "chapters/toy").mkdir(parents=True)
    (tmp_path / "chapters/toy/index.md").write_text("# Toy: a chapter\n\ntext\n")
    notebook_with([table(2.0, 0.7)], tmp_path / "chapters/toy/01-a.ipynb")
    notebook_with([table(0.1)], tmp_path / "chapters/toy/02-b.ipynb")
    rows = scoreboard(tmp_path)
    assert rows == [{"chapter": "chapters/toy/index", "title": "Toy: a chapter",
                     "quick": {"reproduced": 1, "partly": 1, "not reproduced": 1, "uninformative": 0,
                               "not judged at this profile": 0},
                     "fragile": 0, "paper": None,
                     "apart": {"quick": {"check": 0, "beyond": 0, "without control": 3, "unmeasured": 0}, "paper": None},
                     "paper_page": None}]
    notebook_with([table(3.0, 3.0, profile="paper")], tmp_path / "chapters/toy/paper-run/01-a.ipynb")
    assert scoreboard(tmp_path)[0]["paper"] == {"reproduced": 2, "partly": 0, "not reproduced": 0, "uninformative": 0,
                                                "not judged at this profile": 0}
    text = scoreboard_markdown(tmp_path)
    assert "| {doc}`Toy: a chapter </chapters/toy/index>` | quick | {doc}`1 </chapters/toy/index>`" in text
    assert "| paper | {doc}`2 </chapters/toy/paper-run/01-a>`" in text
    target = write_scoreboard(tmp_path, tmp_path / "out/scoreboard.md")
    assert target.read_text() == text


def test_rows_not_judged_at_a_profile_are_counted_apart_per_profile(tmp_path, toy_book):
    from aebook.claims import Precondition

    def capped(share, profile):
        t = ClaimsTable("toy", "01-a", profile=profile)
        t.add(Claim("wl", "a", {"x": 0.1, "binding share": share}, AtLeast("x", 1.0), no_control="toy",
                    preconditions=(Precondition("the cap binds", AtLeast("binding share", 0.1)),)))
        return t

    notebook_with([capped(0.0, "quick")], tmp_path / "chapters/toy/01-a.ipynb")
    notebook_with([capped(0.5, "paper")], tmp_path / "chapters/toy/paper-run/01-a.ipynb")
    row = scoreboard(tmp_path)[0]
    assert row["quick"]["not judged at this profile"] == 1 and row["quick"]["not reproduced"] == 0
    assert row["paper"]["not judged at this profile"] == 0 and row["paper"]["not reproduced"] == 1
    assert "➖ not judged at this profile" in scoreboard_markdown(tmp_path)


def test_uninformative_claims_checks_and_rows_beyond_the_paper_are_counted_apart(tmp_path, toy_book):
    from aebook.claims import BEYOND, CHECK, Control

    t = ClaimsTable("toy", "01-a")
    rule = AtLeast("x", 1.0, partly=0.5)
    t.add(Claim("blind", "a", {"x": 2.0}, rule, control=Control("untrained", {"x": 1.5})))
    t.add(Claim("good", "a", {"x": 2.0}, rule, control=Control("untrained", {"x": 0.1})))
    t.add(Claim("check", "a", {"x": 2.0}, rule, kind=CHECK, no_control="by construction"))
    t.add(Claim("ours", "a", {"x": 0.1}, rule, kind=BEYOND, no_control="our extension"))
    notebook_with([t], tmp_path / "chapters/toy/01-a.ipynb")
    row = scoreboard(tmp_path)[0]
    assert row["quick"] == {"reproduced": 1, "partly": 0, "not reproduced": 0, "uninformative": 1,
                            "not judged at this profile": 0}
    assert row["apart"]["quick"] == {"check": 1, "beyond": 1, "without control": 0, "unmeasured": 0}
    assert ("| {doc}`1 </chapters/toy/index>` | {doc}`0 </chapters/toy/index>` | {doc}`0 </book/robustness>` "
            "| 0 | 1 | 1 |") in scoreboard_markdown(tmp_path)


def test_the_books_scoreboard_covers_every_claims_table():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    rows = scoreboard(root)
    assert {r["chapter"] for r in rows} >= {"chapters/disks/index", "chapters/ood-geometry/index"}
    for r in rows:
        folder = root / Path(r["chapter"]).parent
        total = sum(len(t["claims"]) for nb in sorted(folder.glob("[0-9]*.ipynb")) for t in notebook_claims(nb))
        apart = r["apart"]["quick"]
        assert sum(r["quick"].values()) + apart["check"] + apart["beyond"] == total > 0


def test_run_report_reads_timing_and_environment(tmp_path):
    from aebook.book.report import notebook_run, run_report_markdown

    path = tmp_path / "chapters/toy/01-a.ipynb"
    notebook_with([table(2.0)], path)
    nb = json.loads(path.read_text())
    nb["cells"][0]["metadata"]["execution"] = {"iopub.execute_input": "2026-01-02T10:00:00.000Z",
                                               "shell.execute_reply": "2026-01-02T10:01:30.500Z"}
    path.write_text(json.dumps(nb))
    run = notebook_run(path)
    assert run["seconds"] == 90.5 and run["date"] == "2026-01-02" and run["profile"] == "quick"
    assert run["environment"]["torch"]
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: Papers\n    chapters:\n"
        "      - file: chapters/toy/index\n        sections:\n          - file: chapters/toy/01-a\n")
    text = run_report_markdown(tmp_path)
    assert "| {doc}`toy/01-a </chapters/toy/01-a>` | quick |" in text and "| 90 | 2026-01-02 |" in text


def test_paper_runs_join_the_table_of_contents_under_their_chapter(tmp_path):
    from aebook.book.report import paper_run_banner, toc_with_paper_runs

    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: Papers\n    chapters:\n"
        "      - file: chapters/toy/index\n        sections:\n          - file: chapters/toy/01-a\n"
        "      - file: chapters/other/index\n")
    notebook_with([table(2.0)], tmp_path / "chapters/toy/01-a.ipynb")
    assert toc_with_paper_runs(tmp_path) is None  # nothing to add: the book's own toc is used
    run = tmp_path / "chapters/toy/paper-run/01-a.ipynb"
    notebook_with([table(2.0, profile="paper")], run)
    toc = toc_with_paper_runs(tmp_path)
    chapters = toc["parts"][0]["chapters"]
    assert chapters[0]["sections"] == [{"file": "chapters/toy/01-a"}, {"file": "chapters/toy/paper-run/01-a"}]
    assert "sections" not in chapters[1]
    nb = json.loads(run.read_text())
    nb["cells"][0]["metadata"]["execution"] = {"iopub.execute_input": "2026-01-02T10:00:00.000Z",
                                               "shell.execute_reply": "2026-01-02T11:30:00.000Z"}
    run.write_text(json.dumps(nb))
    banner = paper_run_banner(run)
    assert "90.0 minutes" in banner and "2026-01-02" in banner and "never re-executes" in banner
    record = nb["cells"][0]["outputs"][0]["metadata"]["aebook"]["claims"]
    for device, says in [("cpu (2 cores)", "executed on a CPU, with no GPU: Some CPU 9000, 2 cores, 3 training threads"),
                         ("NVIDIA H100 80GB HBM3", "executed on NVIDIA H100 80GB HBM3, on 2026-01-02")]:
        record["environment"] = {"device": device, "cpu": "Some CPU 9000", "train_threads": "3", "torch": "2.13.0"}
        run.write_text(json.dumps(nb))
        banner = paper_run_banner(run)
        assert says in banner and "(torch 2.13.0)" in banner and "at the paper's settings" in banner
        assert ("CPU" in banner) == device.startswith("cpu")


def test_a_verdict_that_differs_between_the_profiles_is_listed_with_both_figures(tmp_path, toy_book):
    notebook_with([table(2.0, 0.7)], tmp_path / "chapters/toy/01-a.ipynb")
    notebook_with([table(2.0, 0.7, profile="paper")], tmp_path / "chapters/toy/paper-run/01-a.ipynb")
    assert "differ between the profiles" not in scoreboard_markdown(tmp_path)
    notebook_with([table(2.0, 1.5, profile="paper")], tmp_path / "chapters/toy/paper-run/01-a.ipynb")
    text = scoreboard_markdown(tmp_path)
    assert "differ between the profiles" in text
    line = next(ln for ln in text.splitlines() if "`c1`" in ln)
    assert "partly at the quick profile (x 0.7)" in line and "reproduced at the {doc}`paper's scale" in line
    assert "x 1.5" in line and "`c0`" not in text


def test_a_paper_run_is_judged_by_the_committed_rules_and_shows_what_it_did_not_measure(tmp_path, toy_book):
    from aebook.book.report import paper_run_tables, profile_flips

    notebook_with([table(2.0, 0.7, 3.0)], tmp_path / "chapters/toy/01-a.ipynb")
    run = tmp_path / "chapters/toy/paper-run/01-a.ipynb"
    notebook_with([table(0.2, 1.5, 3.0, profile="paper")], run)
    nb = json.loads(run.read_text())
    rows = nb["cells"][0]["outputs"][0]["metadata"]["aebook"]["claims"]["claims"]
    rows[0]["verdict"] = "reproduced"  # stored under an older rule: today's rule reads 0.2 as not reproduced
    rows[1]["measured"] = {"y": 1.5}  # the figure today's rule reads was not measured by the run
    rows[2]["kind"] = "beyond"  # a kind changed since: the committed one counts
    run.write_text(json.dumps(nb))
    judged = {c["id"]: c for t in paper_run_tables(run) for c in t["claims"]}
    assert judged["c0"]["verdict"] == "not reproduced" and judged["c1"]["verdict"] is None
    assert judged["c2"]["kind"] == "claim" and judged["c2"]["verdict"] == "reproduced"
    board = scoreboard(tmp_path)[0]
    assert board["paper"]["not reproduced"] == 1 and board["paper"]["reproduced"] == 1
    assert board["apart"]["paper"]["unmeasured"] == 1 and "1 claim(s) not measured (—)" in scoreboard_markdown(tmp_path)
    assert [(f["id"], f["quick"], f["paper"]) for f in profile_flips(tmp_path)] == [("c0", "reproduced", "not reproduced")]


def test_a_chapter_lists_each_row_at_both_profiles_and_flags_the_ones_that_differ(tmp_path, toy_book):
    from aebook.book.report import profiles_markdown, write_profiles

    notebook_with([table(2.0, 0.7)], tmp_path / "chapters/toy/01-a.ipynb")
    assert "Not yet run at the paper's settings: {doc}`01-a <01-a>`" in profiles_markdown(tmp_path, "chapters/toy/index")
    notebook_with([table(2.0, 1.5, profile="paper")], tmp_path / "chapters/toy/paper-run/01-a.ipynb")
    text = profiles_markdown(tmp_path, "chapters/toy/index")
    rows = [line for line in text.splitlines() if line.startswith("| {doc}")]
    assert len(rows) == 2 and "Not yet run" not in text
    assert "✅ reproduced" in rows[0] and "**differs**" not in rows[0]
    assert "🟡 partly" in rows[1] and "✅ reproduced <paper-run/01-a>" in rows[1] and rows[1].endswith("**differs** |")
    (path,) = write_profiles(tmp_path)
    assert path == tmp_path / "chapters/toy/_generated/profiles.md" and path.read_text() == text
