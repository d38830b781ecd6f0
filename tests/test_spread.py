"""The seed-spread page: claims of a notebook at other seeds beside the committed run's, verdict changes named."""

import json

import pytest

from aebook.book.spread import committed_seed, record_run, spread_markdown, spread_rows
from aebook.claims import AtLeast, Claim, ClaimsTable, Tolerance

TOC = ("format: jb-book\nroot: book/intro\nparts:\n  - caption: Papers\n    chapters:\n"
       "      - file: chapters/toy/index\n        sections:\n          - file: chapters/toy/01-a\n")


def write_notebook(path, params, values):
    """A notebook with a parameters cell and one claims table of two claims with figure x = values[i]."""
    table = ClaimsTable("toy", "01-a")
    for i, v in enumerate(values):
        table.add(Claim(f"c{i}", "a claim", {"x": v}, AtLeast("x", 1.0, partly=0.5), no_control="toy",
                        tolerance=Tolerance(rel=0.01, abs=0.02)))
    out = {"output_type": "display_data", "data": {"text/plain": "…"},
           "metadata": {"aebook": {"claims": table.to_dict()}}}
    nb = {"cells": [{"cell_type": "code", "source": params, "metadata": {"tags": ["parameters"]}, "outputs": [],
                     "execution_count": 1},
                    {"cell_type": "code", "source": "", "metadata": {}, "outputs": [out], "execution_count": 2}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


def test_rows_give_each_seed_and_flag_a_verdict_that_changes(tmp_path):
    committed = write_notebook(tmp_path / "chapters/toy/01-a.ipynb", "seed = 0\n", [2.0, 1.1])
    run1 = write_notebook(tmp_path / "runs/s1.ipynb", "seed = 1\n", [2.5, 0.8])
    run2 = write_notebook(tmp_path / "runs/s2.ipynb", "seed = 2\n", [1.8, 1.2])
    record_run(run1, 1, tmp_path / "chapters/toy")
    kept = record_run(run2, 2, tmp_path / "chapters/toy")
    assert kept == tmp_path / "chapters/toy/seeds/01-a.seed-2.json"
    runs = [json.loads((tmp_path / f"chapters/toy/seeds/01-a.seed-{s}.json").read_text()) for s in (1, 2)]
    rows = {r["id"]: r for r in spread_rows(committed, runs)}
    assert rows["c0"]["seeds"] == [0, 1, 2]
    assert rows["c0"]["verdicts"] == ["reproduced"] * 3 and rows["c0"]["stable"]
    assert rows["c0"]["figures"]["x"]["spread"] == pytest.approx(0.7)
    assert rows["c1"]["verdicts"] == ["reproduced", "partly", "reproduced"] and not rows["c1"]["stable"]
    (tmp_path / "_toc.yml").write_text(TOC)
    text = spread_markdown(tmp_path)
    assert "the verdict is the same at every seed for 1, and changes with the seed for 1" in text
    assert "reproduced / partly / reproduced **(changes)**" in text
    assert "x: 1.1 / 0.8 / 1.2 | 0.4 | ±1 % ± 0.02 | **no** |" in text
    assert rows["c1"]["figures"]["x"]["covered"] is False


def test_committed_seed_is_read_from_the_parameters_and_a_run_without_claims_is_refused(tmp_path):
    assert committed_seed(write_notebook(tmp_path / "a.ipynb", "seeds = [3, 4]\n", [1.0])) == 3
    with pytest.raises(ValueError, match="no seed"):
        committed_seed(write_notebook(tmp_path / "b.ipynb", "n = 1\n", [1.0]))
    empty = tmp_path / "c.ipynb"
    empty.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    with pytest.raises(ValueError, match="records no claims"):
        record_run(empty, 1, tmp_path / "chapters/toy")


def test_a_figure_name_with_a_bar_does_not_split_the_table_row(tmp_path):
    (tmp_path / "_toc.yml").write_text(TOC)
    committed = write_notebook(tmp_path / "chapters/toy/01-a.ipynb", "seed = 0\n", [2.0])
    text = committed.read_text().replace('"x"', '"|x − y|"')
    committed.write_text(text)
    run = write_notebook(tmp_path / "runs/s1.ipynb", "seed = 1\n", [2.1])
    run.write_text(run.read_text().replace('"x"', '"|x − y|"'))
    record_run(run, 1, tmp_path / "chapters/toy")
    row = [line for line in spread_markdown(tmp_path).splitlines() if "x − y" in line][0]
    assert "\\|x − y\\|: 2 / 2.1" in row and row.count(" | ") == 5


def test_a_book_without_seed_runs_says_so(tmp_path):
    (tmp_path / "_toc.yml").write_text(TOC)
    write_notebook(tmp_path / "chapters/toy/01-a.ipynb", "seed = 0\n", [2.0])
    assert spread_markdown(tmp_path).startswith("No notebook has recorded runs")
