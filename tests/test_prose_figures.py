"""Figures quoted in prose come from the claims records: the roles resolve, a bad reference is refused, and a
number typed by hand that a claims record holds is found (and none is left in the committed chapters)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from aebook.book import prose
from aebook.claims import AtLeast, Claim, ClaimsTable, Control

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p for p in (ROOT / "chapters").iterdir() if (p / "index.md").exists())
ROLE = re.compile(r"\{(measured|control|verdict)\}`([^`]*)`")


def _toy(folder: Path) -> list[dict]:
    t = ClaimsTable("toy", "01-a")
    t.add(Claim("hole", "the paper says 3.5", {"ratio": 1.2834, "IoU": 0.9123}, AtLeast("ratio", 1.5),
                control=Control("all radii", {"ratio": 0.987})))
    cell = {"cell_type": "code", "source": "", "metadata": {}, "execution_count": 1,
            "outputs": [{"output_type": "display_data", "data": {}, "metadata": {"aebook": {"claims": t.to_dict()}}}]}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "01-a.ipynb").write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4,
                                                   "nbformat_minor": 5}))
    return t.to_dict()["claims"]


def test_a_reference_gives_the_recorded_figure_formatted(tmp_path):
    _toy(tmp_path)
    assert prose.figure_text(tmp_path, "01-a::hole::ratio") == "1.28"
    assert prose.figure_text(tmp_path, "01-a.ipynb::hole::IoU::.1%") == "91.2%"
    assert prose.figure_text(tmp_path, "01-a::hole::ratio", control=True) == "0.987"
    assert prose.verdict_text(tmp_path, "01-a::hole") == "❌ not reproduced"


@pytest.mark.parametrize("ref, message", [("01-a::hole", "NOTEBOOK::CLAIM::FIGURE"), ("02-b::hole::ratio", "no notebook"),
                                          ("01-a::gap::ratio", "no claim 'gap'"), ("01-a::hole::p", "no 'p'")])
def test_a_reference_that_names_no_figure_is_refused(tmp_path, ref, message):
    _toy(tmp_path)
    with pytest.raises(prose.ProseReferenceError, match=message):
        prose.figure_text(tmp_path, ref)


def test_typed_figures_are_found_but_roles_math_and_the_claims_own_numbers_are_not(tmp_path):
    claims = _toy(tmp_path)
    text = ("The ratio is 1.28 ({measured}`01-a::hole::ratio`), the IoU 0.912 and `1.28` in code; $1.28$ in math; "
            "the paper's 3.5 and the bound 1.5 are stated by the claim; 1.0 and 12 are too short to tell.")
    assert prose.typed_figures(text, claims) == [("1.28", "hole: ratio"), ("0.912", "hole: IoU")]
    assert prose.typed_figures("all radii give 0.99", claims) == [("0.99", "hole: ratio (control)")]


def _texts(chapter: Path) -> list[tuple[str, str, list[dict]]]:
    """(name, prose, the claims it may quote): the chapter page quotes every notebook, a notebook its own claims."""
    own = {nb.name: list(prose.notebook_claims_by_id(nb).values()) for nb in sorted(chapter.glob("[0-9]*.ipynb"))}
    texts = [("index.md", (chapter / "index.md").read_text(), [c for claims in own.values() for c in claims])]
    for name, claims in own.items():
        cells = json.loads((chapter / name).read_text())["cells"]
        texts.append((name, "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown"), claims))
    return texts


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_every_figure_reference_in_a_chapter_resolves(chapter):
    for _, text, _ in _texts(chapter):
        for kind, ref in ROLE.findall(text):
            if kind == "verdict":
                prose.verdict_text(chapter, ref)
            else:
                prose.figure_text(chapter, ref, control=kind == "control")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_no_measured_figure_is_typed_by_hand_in_a_chapter(chapter):
    typed = {name: hits for name, text, claims in _texts(chapter) if (hits := prose.typed_figures(text, claims))}
    assert not typed, f"{chapter.name}: figures typed by hand (quote them with {{measured}}`NB::CLAIM::FIGURE`): {typed}"
